import { type AddressInfo, type Server, type Socket, createConnection, createServer } from 'node:net';

/**
 * A TCP proxy of our own between a client and a broker, for fault tests: it forwards bytes both ways and
 * {@link cut} destroys every open connection on demand (both sides at once, as a network failure would), while
 * new connections are still accepted. Loopback only.
 */
export class TcpProxy {
  private readonly connections = new Set<{ client: Socket; upstream: Socket }>();
  /** Connections cut so far. */
  cuts = 0;

  private readonly server: Server;

  private constructor(targetPort: number) {
    const connections = this.connections;
    this.server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
      const pair = { client, upstream };
      connections.add(pair);
      const drop = (): void => {
        connections.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  /** The port clients connect to. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Starts a proxy on a free loopback port, forwarding to `targetPort` on 127.0.0.1. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** Number of open client connections. */
  get open(): number {
    return this.connections.size;
  }

  /** Destroys every open connection (the clients see a reset). */
  cut(): void {
    this.cuts++;
    for (const { client, upstream } of this.connections) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.connections.clear();
  }

  /** Stops accepting and cuts everything. */
  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A free loopback TCP port (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
