/**
 * A TCP server on 127.0.0.1 that accepts every connection and never sends a byte: the "server that accepts TCP and
 * never answers" every client deadline must survive (a hung process, a half-open firewall, a paused container).
 */
import { createServer, type Socket } from 'node:net';

/** A running black-hole server. */
export interface BlackHoleServer {
  /** The bound port (random). */
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Destroys every accepted socket and stops listening. */
  close(): Promise<void>;
}

/** Starts a black-hole server on 127.0.0.1 and a random free port. */
export async function startBlackHoleServer(): Promise<BlackHoleServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('black-hole server has no TCP address');
  return {
    port: address.port,
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
