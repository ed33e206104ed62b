import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy to a local server that can turn into a black hole: it stops forwarding in both
 * directions but keeps every connection open, as a vanished host or a silent firewall drop looks
 * to both ends (no FIN, no RST). `cut()` then ends every connection, for cleanup.
 */
export class BlackholeProxy {
  private readonly sockets = new Set<Socket>();
  private holed = false;
  private readonly server = createServer((client) => this.relay(client));
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no proxy port');
    this.port = address.port;
    return this;
  }

  /** From now on nothing passes, and nothing is closed. */
  blackhole(): void {
    this.holed = true;
  }

  /** Ends every connection at once (both ends see it) and stops listening. */
  async cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    const upstream = createConnection({ port: this.targetPort, host: this.targetHost });
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.on('data', (chunk: Buffer) => {
        if (!this.holed) to.write(chunk);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        if (!this.holed) to.end();
      });
    }
  }
}
