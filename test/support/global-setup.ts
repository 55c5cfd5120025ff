/**
 * Jest global setup: runs once, in the parent process, before all test files. It probes for the servers the
 * integration suites need and passes the outcome to the test workers through environment variables, so each suite
 * can skip (or, when required, fail) with one clear line instead of timing out.
 *
 * EventStoreDB (test/eventstoredb/*.int.test.ts):
 * - `EVENTSTORE_URL` set (e.g. `esdb://localhost:2113?tls=false`): the suites use that server; no probe.
 * - otherwise a container engine is probed with testcontainers' `getContainerRuntimeClient()` under our own
 *   5 s timeout (a socket that accepts but never answers makes it hang for minutes). Outcome:
 *   `RD_EVENTSTORE_CONTAINER_RUNTIME=available`, or `RD_EVENTSTORE_SKIP_REASON=<why>`.
 * - `REQUIRE_EVENTSTORE=1` makes the suites fail instead of skipping.
 *
 * PostgreSQL, RabbitMQ and NATS: see `servers.ts` (`describeWithServer`).
 */
import { probeServers } from './servers';

const PROBE_TIMEOUT_MS = 5_000;

export const EVENTSTORE_RUNTIME_ENV = 'RD_EVENTSTORE_CONTAINER_RUNTIME';
export const EVENTSTORE_SKIP_REASON_ENV = 'RD_EVENTSTORE_SKIP_REASON';

async function probeContainerRuntime(): Promise<{ ok: true } | { ok: false; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
    timer.unref();
  });
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([getContainerRuntimeClient(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export default async function globalSetup(): Promise<void> {
  await probeServers();
  delete process.env[EVENTSTORE_RUNTIME_ENV];
  delete process.env[EVENTSTORE_SKIP_REASON_ENV];
  if (process.env.EVENTSTORE_URL) return;
  const probe = await probeContainerRuntime();
  if (probe.ok) process.env[EVENTSTORE_RUNTIME_ENV] = 'available';
  else {
    process.env[EVENTSTORE_SKIP_REASON_ENV] =
      `no EVENTSTORE_URL and no container runtime (testcontainers: ${probe.reason.split('\n')[0]})`;
  }
}
