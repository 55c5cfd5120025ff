import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The root entry and the adapter subpaths load no broker driver until a transport is created. Checked in a fresh
 * Node process on the built package (Jest's module registry is not `require.cache`).
 */
describe('broker drivers load lazily', () => {
  const root = resolve(__dirname, '../..');

  it('requiring the library and the rabbitmq and nats subpaths loads neither amqplib nor @nats-io', () => {
    if (!existsSync(resolve(root, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build`');
    const script = `
      require('./dist/index.js'); require('./dist/adapters/rabbitmq'); require('./dist/adapters/nats');
      const loaded = Object.keys(require.cache).filter((p) => /node_modules[\\\\/](amqplib|@nats-io)[\\\\/]/.test(p));
      const { loadAmqplib } = require('./dist/adapters/rabbitmq');
      loadAmqplib();
      const after = Object.keys(require.cache).filter((p) => /node_modules[\\\\/]amqplib[\\\\/]/.test(p));
      console.log(JSON.stringify({ before: loaded.length, after: after.length > 0 }));`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' }).trim();
    expect(JSON.parse(out)).toEqual({ before: 0, after: true });
  });
});
