import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** `npm run demo` is one of the README's two newcomer commands: it must run as written and tell the story. */
describe('npm run demo', () => {
  it('runs the order service end to end on the in-memory store and exits 0', () => {
    const root = resolve(__dirname, '../..');
    const env = { ...process.env };
    delete env.EVENTSTORE_URL; // the README's command runs on the embedded default
    delete env.PG_URL;
    const out = execFileSync('npm', ['run', '--silent', 'demo'], { cwd: root, encoding: 'utf8', env });
    expect(out).toMatch(/-> PlaceOrder/);
    expect(out).toMatch(/order-…[0-9a-f]{6}@0 +OrderPlaced/);
    expect(out).toMatch(/== Correlation chain of Ada's order/);
    expect(out).toMatch(/All expected outcomes observed\.\s*$/);
    // Readable: no process-manager bookkeeping, commands shown in the causation chain, no raw UUIDs anywhere.
    expect(out).not.toContain('ProcessManager.InputReceived');
    expect(out).toMatch(/^ +-> ReserveStock +…[0-9a-f]{6} +command$/m);
    expect(out).toContain('out of stock: 4 x mouse asked');
    expect(out).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  });
});
