import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { statusOf, type AuthErrorCode } from '../errors/auth-error.js';

/**
 * Requests Node refuses before the application sees them (a header block over its limit, a URL
 * over 16 KiB, malformed HTTP) get a JSON `{code, message}` like every other error, instead of
 * Node's bare status line.
 */
export function answerClientErrorsWithJson(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [code, message]: [AuthErrorCode, string] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? ['HEADERS_TOO_LARGE', 'The request line or headers are too large.']
        : ['MALFORMED_REQUEST', 'The request is not valid HTTP.'];
    const status = statusOf(code);
    const body = JSON.stringify({ code, message });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
