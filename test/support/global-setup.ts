/**
 * Jest global setup: runs once before all test files. Server probes for integration suites are added here, so
 * each suite can skip (or, when required, fail) with one clear line instead of timing out.
 */
export default async function globalSetup(): Promise<void> {}
