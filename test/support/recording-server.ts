import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { waitFor } from './wait-for.js';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, e.g. '/bcl'. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly receivedAtMs: number;
}

/**
 * A plain node HTTP server on 127.0.0.1 that records every request and answers `status` (202 by
 * default): the stand-in receiver for Keycloak's back-channel logout and SSF push requests.
 */
export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  status = 202;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<RecordingServer> {
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        recorder.requests.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAtMs: Date.now(),
        });
        res.writeHead(recorder.status).end();
      });
    });
    const recorder = new RecordingServer(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return recorder;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Polls the recorded requests until one matches, or fails after `timeoutMs`. */
  waitForRequest(
    what: string,
    matches: (request: RecordedRequest) => boolean,
    timeoutMs = 10_000,
  ): Promise<RecordedRequest> {
    return waitFor(what, () => Promise.resolve(this.requests.find(matches)), {
      timeoutMs,
      intervalMs: 20,
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
