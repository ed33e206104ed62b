import { isIP } from 'node:net';
import type { Request } from 'express';

/** What a login records about the device, for the sessions list. */
export interface ClientInfo {
  readonly userAgent: string | undefined;
  readonly ip: string | undefined;
}

/**
 * The device of a request: its user agent, and its client address (the socket's peer, or what a
 * trusted proxy forwarded: `TRUST_PROXY`), when that is an IP address.
 */
export function clientInfoOf(request: Request): ClientInfo {
  const ip = request.ip;
  return {
    userAgent: request.headers['user-agent']?.slice(0, 512),
    ip: ip !== undefined && isIP(ip) !== 0 ? ip : undefined,
  };
}
