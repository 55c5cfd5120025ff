import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './tcp-proxy';

/** Where the NATS server binary is on the development and CI machines. */
export const NATS_SERVER_BINARY = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

/** True when a private NATS server can be started here. */
export function natsServerBinaryAvailable(): boolean {
  return existsSync(NATS_SERVER_BINARY);
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500, () => (socket.destroy(), resolve(false)));
    socket.once('error', () => (socket.destroy(), resolve(false)));
    socket.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
  });
}

/**
 * A private `nats-server` with JetStream on a free loopback port and its own store directory, which a test can
 * kill (SIGKILL, as a crash) and start again on the same port and directory (JetStream data survives).
 */
export class NatsServerProcess {
  private child: ChildProcess | undefined;

  private constructor(
    /** The port it listens on. */
    readonly port: number,
    /** Its JetStream store directory. */
    readonly storeDir: string,
  ) {}

  /** Starts a server on a free port. */
  static async start(): Promise<NatsServerProcess> {
    const server = new NatsServerProcess(await freePort(), mkdtempSync(join(tmpdir(), 'rd-nats-')));
    await server.startAgain();
    return server;
  }

  /** `nats://127.0.0.1:<port>`. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts the process (again) and waits until it accepts connections (20 s at most). */
  async startAgain(): Promise<void> {
    const child = spawn(
      NATS_SERVER_BINARY,
      ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir],
      {
        stdio: 'ignore',
      },
    );
    this.child = child;
    const deadline = Date.now() + 20_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${this.port} within 20 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills the process (SIGKILL) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Kills it and removes its store directory. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
