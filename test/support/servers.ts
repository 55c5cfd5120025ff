/**
 * The real servers the integration suites use (PostgreSQL, RabbitMQ, NATS), where each is found, and one way for a
 * suite to run against it or skip. Global setup probes each server once (a TCP connect with a deadline) and passes
 * the outcome to the workers in environment variables; a suite then calls {@link describeWithServer}:
 * - server reachable: the suite runs;
 * - unreachable: the suite skips and prints ONE line saying why;
 * - unreachable and `REQUIRE_<SERVER>=1` (set by `.ci/run`): the suite registers one failing test instead.
 */
import { Socket } from 'node:net';

/** The servers a suite may need. */
export type ServerName = 'postgres' | 'rabbitmq' | 'nats';

interface ServerSpec {
  /** Environment variable that points the suites at another server. */
  readonly urlEnv: string;
  /** Used when `urlEnv` is not set. */
  readonly defaultUrl: string;
  /** `REQUIRE_…` switch that turns a skip into a failure. */
  readonly requireEnv: string;
  readonly defaultPort: number;
}

const SERVERS: Record<ServerName, ServerSpec> = {
  postgres: {
    urlEnv: 'PG_URL',
    defaultUrl: 'postgres://postgres@127.0.0.1:5432/test',
    requireEnv: 'REQUIRE_POSTGRES',
    defaultPort: 5432,
  },
  rabbitmq: {
    urlEnv: 'RABBITMQ_URL',
    defaultUrl: 'amqp://guest:guest@127.0.0.1:5672',
    requireEnv: 'REQUIRE_RABBITMQ',
    defaultPort: 5672,
  },
  nats: {
    urlEnv: 'NATS_URL',
    defaultUrl: 'nats://127.0.0.1:4222',
    requireEnv: 'REQUIRE_NATS',
    defaultPort: 4222,
  },
};

const PROBE_TIMEOUT_MS = 3_000;

const skipEnv = (server: ServerName): string => `RD_${server.toUpperCase()}_SKIP_REASON`;

/** The URL the suites use for `server` (`PG_URL`, `RABBITMQ_URL`, `NATS_URL`, or the local default). */
export function serverUrl(server: ServerName): string {
  const spec = SERVERS[server];
  return process.env[spec.urlEnv] || spec.defaultUrl;
}

/** Resolves to undefined when a TCP connection to the server's host and port opens in time, else to why not. */
function probe(server: ServerName): Promise<string | undefined> {
  const url = new URL(serverUrl(server));
  const host = url.hostname || '127.0.0.1';
  const port = Number(url.port) || SERVERS[server].defaultPort;
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (reason: string | undefined): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () =>
      done(`no answer from ${host}:${port} within ${PROBE_TIMEOUT_MS} ms`),
    );
    socket.once('error', (error) => done(`cannot connect to ${host}:${port} (${error.message})`));
    socket.connect(port, host, () => done(undefined));
  });
}

/** Set by global setup once the probes ran (global setup belongs to the integration project only). */
const PROBED_ENV = 'RD_SERVERS_PROBED';

/** Global setup: probe every server once and record the outcome for the test workers. */
export async function probeServers(): Promise<void> {
  process.env[PROBED_ENV] = '1';
  await Promise.all(
    (Object.keys(SERVERS) as ServerName[]).map(async (server) => {
      const reason = await probe(server);
      if (reason === undefined) delete process.env[skipEnv(server)];
      else process.env[skipEnv(server)] = reason;
    }),
  );
}

/** Why `server` is unavailable in this run, or undefined when it is reachable. */
export function serverSkipReason(server: ServerName): string | undefined {
  if (process.env[PROBED_ENV] !== '1') {
    return 'not probed: a suite that needs a server is named *.int.test.ts (the integration project probes servers)';
  }
  return process.env[skipEnv(server)];
}

/**
 * `describe` that needs a real server: runs `body` when the server is reachable; otherwise prints one line and
 * skips, or (with `REQUIRE_<SERVER>=1`) registers a failing test that says why.
 */
export function describeWithServer(server: ServerName, name: string, body: () => void): void {
  const reason = serverSkipReason(server);
  if (reason === undefined) {
    describe(name, body);
    return;
  }
  const spec = SERVERS[server];
  if (process.env[spec.requireEnv] === '1') {
    describe(name, () => {
      it(`requires a real ${server} server (${spec.requireEnv}=1)`, () => {
        throw new Error(`${spec.requireEnv}=1 but ${server} is unavailable: ${reason}`);
      });
    });
    return;
  }
  console.log(`[skip] ${name}: ${server} unavailable (${reason}); set ${spec.urlEnv} or start the server`);
  describe.skip(name, body);
}
