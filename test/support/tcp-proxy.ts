/**
 * A TCP proxy in front of a real service, to cut the network path the way an outage would
 * (connections refused, open ones reset) and restore it, or to make it slow (latency added to every
 * chunk, in order) — the service behind stays real.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  readonly #target: { host: string; port: number };
  /** Where it listens: 127.0.0.1 unless another loopback address is asked for. */
  readonly host: string;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;
  /** Added to every chunk in each direction, in milliseconds; chunks keep their order. */
  latencyMs = 0;

  constructor(target: { host: string; port: number }, listen: { host?: string } = {}) {
    this.#target = target;
    this.host = listen.host ?? '127.0.0.1';
  }

  /** Starts accepting on the same port as before (a fresh port the first time). */
  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target.port, this.#target.host);
      for (const s of [client, upstream]) {
        // As the client and server at its ends do (mysql2 and mysqld set TCP_NODELAY): else Nagle's
        // algorithm here, against the peer's delayed ACKs, holds small writes up to ~40 ms.
        s.setNoDelay(true);
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      this.#relay(client, upstream);
      this.#relay(upstream, client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** Refuses new connections and resets open ones. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Copies `from` to `to`, each chunk held `latencyMs` (never overtaking an earlier one). */
  #relay(from: Socket, to: Socket): void {
    let due = 0;
    const later = (write: () => void) => {
      const delay = this.latencyMs;
      if (delay <= 0 && due <= Date.now()) return write();
      due = Math.max(Date.now() + delay, due);
      setTimeout(write, due - Date.now());
    };
    from.on('data', (chunk: Buffer) => later(() => to.destroyed || to.write(chunk)));
    from.on('end', () => later(() => to.destroyed || to.end()));
  }
}
