/**
 * Where the real-server suites find EventStoreDB: `EVENTSTORE_URL`, or a container started with testcontainers
 * when global-setup found a container runtime. Without either, the suites skip with one printed line;
 * `REQUIRE_EVENTSTORE=1` turns the skip into a failure.
 */
import { EventStoreDBStreamStore } from '../../../src/adapters/eventstoredb/eventstoredb-stream-store';
import { streamStoreContract } from '../../../src/testing';
import { EVENTSTORE_RUNTIME_ENV, EVENTSTORE_SKIP_REASON_ENV } from '../../support/global-setup';

export const EVENTSTORE_IMAGE = 'eventstore/eventstore:24.10';

/** How this run reaches a real server, or why it cannot. */
export type EventStoreTarget =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'container' }
  | { readonly kind: 'none'; readonly reason: string };

export function eventStoreTarget(): EventStoreTarget {
  const url = process.env.EVENTSTORE_URL;
  if (url) return { kind: 'url', url };
  if (process.env[EVENTSTORE_RUNTIME_ENV] === 'available') return { kind: 'container' };
  return {
    kind: 'none',
    reason: process.env[EVENTSTORE_SKIP_REASON_ENV] ?? 'global setup did not probe for EventStoreDB',
  };
}

/** A running server: its host:port and how to stop it. */
export interface RunningEventStore {
  /** `host:port` of the gRPC endpoint (insecure). */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts (or points at) the server for one suite. */
export async function startEventStore(
  target: Exclude<EventStoreTarget, { kind: 'none' }>,
): Promise<RunningEventStore> {
  if (target.kind === 'url') {
    const parsed = new URL(target.url.replace(/^[a-z+]+:\/\//i, 'http://'));
    return { endpoint: `${parsed.hostname}:${parsed.port || '2113'}`, stop: async () => undefined };
  }
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(EVENTSTORE_IMAGE)
    .withEnvironment({
      EVENTSTORE_INSECURE: 'true',
      EVENTSTORE_MEM_DB: 'true',
      EVENTSTORE_RUN_PROJECTIONS: 'None',
    })
    .withExposedPorts(2113)
    .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
    .withStartupTimeout(120_000)
    .start();
  return {
    endpoint: `${container.getHost()}:${container.getMappedPort(2113)}`,
    stop: async () => {
      await container.stop();
    },
  };
}

/**
 * Registers `body` when a server is reachable; otherwise prints one line saying why the suite is skipped (or, with
 * `REQUIRE_EVENTSTORE=1`, registers a failing test carrying that reason).
 */
export function describeWithEventStore(
  label: string,
  body: (target: Exclude<EventStoreTarget, { kind: 'none' }>) => void,
): void {
  const target = eventStoreTarget();
  if (target.kind !== 'none') {
    describe(label, () => body(target));
    return;
  }
  if (process.env.REQUIRE_EVENTSTORE === '1') {
    describe(label, () => {
      it('requires a real EventStoreDB (REQUIRE_EVENTSTORE=1)', () => {
        throw new Error(`REQUIRE_EVENTSTORE=1 but EventStoreDB is unavailable: ${target.reason}`);
      });
    });
    return;
  }
  process.stderr.write(
    `[skip] ${label}: ${target.reason}; set EVENTSTORE_URL or provide a container engine\n`,
  );
  describe.skip(label, () => {
    it('needs a real EventStoreDB', () => undefined);
  });
}

/**
 * Runs the StreamStore contract against a real server through one client package (one package per test file: the
 * two must not share a process), or skips as {@link describeWithEventStore} says.
 */
export function realServerContract(
  clientPackage: '@eventstore/db-client' | '@kurrent/kurrentdb-client',
): void {
  const scheme = clientPackage === '@eventstore/db-client' ? 'esdb' : 'kurrentdb';
  describeWithEventStore(`EventStoreDB (real server) via ${clientPackage}`, (target) => {
    streamStoreContract(
      `EventStoreDBStreamStore over ${clientPackage} (real server)`,
      async () => {
        const server = await startEventStore(target);
        const store = EventStoreDBStreamStore.fromConnectionString(
          `${scheme}://${server.endpoint}?tls=false`,
          {
            clientPackage,
          },
        );
        return {
          store,
          dispose: async () => {
            await store.close();
            await server.stop();
          },
        };
      },
      // Starting a container can take minutes on a cold machine.
      { setupTimeoutMs: 180_000 },
    );
  });
}
