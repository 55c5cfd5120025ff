#!/usr/bin/env node
/**
 * The `reactive-domain` command (package.json `bin`). Run `reactive-domain --help`.
 * @packageDocumentation
 */
import { processIo } from './cli-io';
import { runCli } from './program';

void runCli(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
  // A store's pool or a subscription must not keep a finished command alive.
  setTimeout(() => process.exit(code), 50).unref();
});
