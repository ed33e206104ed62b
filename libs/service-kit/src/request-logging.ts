import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { requestContext } from './request-context.js';

/** A caller's id is kept when it is this tame (no spaces, quotes or control characters). */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** The caller's `X-Request-Id` when sane, else a new UUID. */
export function requestIdFor(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}

/**
 * Middleware (Express or any Connect-style server) that gives each request an id, echoes it in
 * `X-Request-Id`, makes it the request id of every log line written while handling it, and writes
 * one access line when the response is finished: method, path without the query string (which
 * may carry credentials), status and duration. Never headers or bodies.
 */
export function requestLogging(
  logger = new Logger('HTTP'),
): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  return (req, res, next) => {
    const context = { requestId: requestIdFor(req.headers['x-request-id']) };
    res.setHeader(REQUEST_ID_HEADER, context.requestId);
    // Nothing to time when access lines would be dropped (LOG_LEVEL above log, or logger: false).
    if (!Logger.isLevelEnabled('log')) {
      requestContext.run(context, next);
      return;
    }
    const startedAt = process.hrtime.bigint();
    res.once('finish', () => {
      const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
      const path = (req.url ?? '').split('?')[0];
      requestContext.run(context, () =>
        logger.log(`${req.method} ${path} ${res.statusCode} ${ms.toFixed(1)} ms`),
      );
    });
    requestContext.run(context, next);
  };
}
