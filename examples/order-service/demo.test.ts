import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** `npm run demo` is one of the README's two newcomer commands: it must run as written and tell the story. */
describe('npm run demo', () => {
  it('runs the order service end to end on the in-memory store and exits 0', () => {
    const root = resolve(__dirname, '../..');
    const env = { ...process.env };
    delete env.EVENTSTORE_URL; // the README's command runs on the embedded default
    const out = execFileSync('npm', ['run', '--silent', 'demo'], { cwd: root, encoding: 'utf8', env });
    expect(out).toMatch(/-> PlaceOrder/);
    expect(out).toMatch(/order-…[0-9a-f]{6}@0 +OrderPlaced/);
    expect(out).toMatch(/== Correlation chain of Ada's order/);
    expect(out).toMatch(/All expected outcomes observed\.\s*$/);
  });
});
