/**
 * Connection strings are checked before a client package parses them: a malformed one is an
 * InvalidConnectionStringError naming the problem, and nothing the error carries repeats the credentials.
 */
import { EventStoreDBClient } from '@eventstore/db-client';
import { InvalidArgumentError } from '../../../src/core/reactive-domain.error';
import {
  checkConnectionString,
  openWithConnectionString,
} from '../../../src/adapters/eventstoredb/esdb-connection-string';
import { EventStoreDBClientAdapter } from '../../../src/adapters/eventstoredb/eventstore-db-client-adapter';
import { EventStoreDBStreamStore } from '../../../src/adapters/eventstoredb/eventstoredb-stream-store';
import { InvalidConnectionStringError } from '../../../src/adapters/eventstoredb/eventstoredb.errors';

const CANARY = 'Canary-S3cret-7f1d';

/** Everything an error exposes: message, stack, own fields (cause included), as text. */
function everythingIn(error: unknown): string {
  const e = error as Error & { cause?: unknown };
  const fields = Object.getOwnPropertyNames(e).map((key) => {
    const value = (e as unknown as Record<string, unknown>)[key];
    return `${key}=${typeof value === 'string' ? value : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`;
  });
  const cause = e.cause === undefined ? '' : everythingIn(e.cause);
  return [e.message, e.stack ?? '', ...fields, cause].join('\n');
}

function problemOf(connectionString: unknown): InvalidConnectionStringError {
  try {
    EventStoreDBStreamStore.fromConnectionString(connectionString as string, { deadlineMs: 1_000 });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConnectionStringError);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ code: 'INVALID_CONNECTION_STRING' });
    expect(everythingIn(error)).not.toContain(CANARY);
    return error as InvalidConnectionStringError;
  }
  throw new Error(`accepted: ${String(connectionString)}`);
}

describe('malformed connection strings are refused with a typed error naming the problem', () => {
  it.each([
    ['not a url', /does not start with a scheme/],
    [`http://admin:${CANARY}@localhost:2113`, /unsupported scheme "http:\/\/"/],
    [`https://localhost:2113?tls=false`, /unsupported scheme "https:\/\/"/],
    [`tcp://admin:${CANARY}@localhost:1113`, /unsupported scheme "tcp:\/\/"/],
    ['esdb://', /names no host/],
    [`esdb://admin:${CANARY}@`, /names no host/],
    ['esdb://localhost:abc', /port of the host is not a number from 1 to 65535/],
    ['esdb://localhost:70000', /port of the host is not a number/],
    ['esdb://localhost:21x3', /port of the host is not a number/],
    ['esdb://a:2113,b:x', /port of host #2 is not a number/],
    ['esdb://a:2113,,b', /host #2 is empty/],
    [`esdb://admin:${CANARY}`, /port of the host is not a number/], // credentials without '@': never echoed
    ['esdb://localhost:2113:2114', /more than one ":"/],
    ['esdb://localhost:2113/some/path', /followed by a path/],
    ['esdb://localhost?tls=maybe', /option "tls" must be true or false/],
    [`esdb://admin:${CANARY}@localhost?tls=${CANARY}`, /option "tls" must be true or false/],
    ['esdb://localhost?tls', /option "tls" has no value/],
    ['esdb://localhost?', /followed by no option/],
    ['esdb://localhost?tsl=false', /unknown option "tsl"/],
    ['esdb://localhost?defaultDeadline=soon', /option "defaultDeadline" must be a whole number/],
    ['esdb://localhost?defaultDeadline=0', /option "defaultDeadline" must be a whole number/],
    ['esdb://localhost?keepAliveInterval=1x', /option "keepAliveInterval" must be an integer/],
    ['esdb://localhost?nodePreference=closest', /option "nodePreference" must be leader/],
    [`esdb://@localhost`, /credentials before "@" must be user:password/],
    [`esdb://admin:%zz${CANARY}@localhost`, /invalid %-escape/],
    ['', /it is empty/],
    ['   ', /it is empty/],
  ])('%s', (connectionString, problem) => {
    const error = problemOf(connectionString);
    expect(error.problem).toMatch(problem);
    expect(error.message).toContain(error.problem);
  });

  it('a non-string is refused with its type, not its value', () => {
    expect(problemOf(42).problem).toBe('expected a string, got number');
    expect(problemOf(null).problem).toBe('expected a string, got null');
  });

  it('a Kurrent scheme with the @eventstore/db-client package is refused (that client cannot parse it)', () => {
    expect(() =>
      EventStoreDBStreamStore.fromConnectionString('kurrentdb://localhost:2113?tls=false', {
        clientPackage: '@eventstore/db-client',
      }),
    ).toThrow(/kurrentdb:\/\/ is understood by @kurrent\/kurrentdb-client only/);
    expect(() => EventStoreDBClientAdapter.fromConnectionString('kdb://localhost')).toThrow(
      InvalidConnectionStringError,
    );
  });

  it('a bad deadlineMs is refused before a client exists', () => {
    expect(() =>
      EventStoreDBStreamStore.fromConnectionString('esdb://localhost:2113?tls=false', { deadlineMs: 0 }),
    ).toThrow(/deadlineMs must be a whole number of milliseconds/);
  });
});

describe('valid connection strings pass unchanged (or with the scheme in lower case)', () => {
  it.each([
    ['esdb://localhost:2113?tls=false', undefined],
    [`esdb://admin:${CANARY}@localhost:2113?tls=false&tlsVerifyCert=false`, undefined],
    ['esdb+discover://node1:2113,node2:2113,node3:2113?nodePreference=follower', undefined],
    ['esdb://localhost/?tls=false&connectionName=orders%20service&defaultDeadline=2500', 2500],
    ['esdb://localhost:2113/', undefined],
    ['esdb://localhost?keep-alive-interval=10000&keepAliveTimeout=-1&TLS=false', undefined],
  ])('%s', (connectionString, deadline) => {
    const checked = checkConnectionString(connectionString);
    expect(checked).toEqual({
      text: connectionString,
      requiredPackage: undefined,
      defaultDeadlineMs: deadline,
    });
  });

  it('Kurrent schemes call for the Kurrent client; the scheme is lower-cased for the case-sensitive clients', () => {
    for (const scheme of ['kurrentdb', 'kurrent', 'kdb', 'kurrentdb+discover']) {
      expect(checkConnectionString(`${scheme}://localhost:2113`).requiredPackage).toBe(
        '@kurrent/kurrentdb-client',
      );
    }
    expect(checkConnectionString(' ESDB://localhost:2113 ').text).toBe('esdb://localhost:2113');
  });

  it('a valid string opens a store (no connection is made until the first call)', async () => {
    const store = EventStoreDBStreamStore.fromConnectionString(
      `esdb://admin:${CANARY}@127.0.0.1:2113?tls=false&defaultDeadline=1234`,
    );
    expect(store.deadlineMs).toBe(1234);
    await store.close();
  });
});

describe("the client's own ParseError, should one still get through, is mapped without the string", () => {
  it('maps the real @eventstore/db-client ParseError to InvalidConnectionStringError', () => {
    // Bypass the check to feed the client's parser a string it refuses.
    const unchecked = {
      text: `esdb://admin:${CANARY}@localhost:abc`,
      requiredPackage: undefined,
      defaultDeadlineMs: undefined,
    };
    let raw: unknown;
    try {
      EventStoreDBClient.connectionString(unchecked.text);
    } catch (error) {
      raw = error;
    }
    // Negative control: the client's own error is untyped and carries the credentials.
    expect((raw as { code?: unknown }).code).toBeUndefined();
    expect((raw as { connectionString?: string }).connectionString).toContain(CANARY);
    let mapped: unknown;
    try {
      openWithConnectionString(unchecked, '@eventstore/db-client', (text) =>
        EventStoreDBClient.connectionString(text),
      );
    } catch (error) {
      mapped = error;
    }
    expect(mapped).toBeInstanceOf(InvalidConnectionStringError);
    expect((mapped as InvalidConnectionStringError).problem).toMatch(
      /@eventstore\/db-client refused it at position \d+, expected port number/,
    );
    expect(everythingIn(mapped)).not.toContain(CANARY);
  });

  it('any other error of the client constructor loses the credentials from its message', () => {
    const checked = checkConnectionString(`esdb://admin:${CANARY}@localhost:2113`);
    let mapped: unknown;
    try {
      openWithConnectionString(checked, '@eventstore/db-client', (text) => {
        throw new Error(`cannot use ${text} (password ${CANARY})`);
      });
    } catch (error) {
      mapped = error;
    }
    expect(mapped).toBeInstanceOf(InvalidConnectionStringError);
    expect((mapped as InvalidConnectionStringError).problem).toBe(
      '@eventstore/db-client refused it: cannot use <connection string> (password ***)',
    );
  });
});
