import { request } from 'node:http';

export interface AddressedAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly retryAfter: string | undefined;
}

/**
 * POSTs JSON from a chosen local address (any of 127.0.0.0/8 on Linux), so a suite can play
 * several client IPs against a service on 127.0.0.1 that does not trust forwarding headers.
 */
export function postFrom(
  localAddress: string,
  url: string,
  json: unknown,
  /** Extra request headers, e.g. what a proxy in front would add (X-Forwarded-For). */
  headers: Record<string, string> = {},
): Promise<AddressedAnswer> {
  return send(localAddress, url, 'application/json', JSON.stringify(json), headers);
}

/** POSTs a form (the OAuth endpoints' body) from a chosen local address; see {@link postFrom}. */
export function postFormFrom(
  localAddress: string,
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<AddressedAnswer> {
  const payload = new URLSearchParams(fields).toString();
  return send(localAddress, url, 'application/x-www-form-urlencoded', payload, headers);
}

function send(
  localAddress: string,
  url: string,
  contentType: string,
  payload: string,
  headers: Record<string, string>,
): Promise<AddressedAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress,
        headers: {
          ...headers,
          'content-type': contentType,
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const retryAfter = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
            retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
