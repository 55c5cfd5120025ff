import { InvalidConnectionStringError } from './eventstoredb.errors';
import { MAX_DEADLINE_MS } from './operation-deadlines';

/** Which client package a connection string is opened with. */
export type EsdbClientPackage = '@eventstore/db-client' | '@kurrent/kurrentdb-client';

/** What {@link checkConnectionString} learned from a valid connection string. */
export interface CheckedConnectionString {
  /** The string to hand to the client: trimmed, scheme in lower case. */
  readonly text: string;
  /** The client package the scheme calls for: Kurrent for `kurrentdb://`, `kurrent://`, `kdb://`; undefined for `esdb://`. */
  readonly requiredPackage: EsdbClientPackage | undefined;
  /** The `defaultDeadline` option in milliseconds, when the string sets one. */
  readonly defaultDeadlineMs: number | undefined;
}

const ESDB_SCHEMES = new Set(['esdb', 'esdb+discover']);
const KURRENT_SCHEMES = new Set([
  'kurrentdb',
  'kurrentdb+discover',
  'kurrent',
  'kurrent+discover',
  'kdb',
  'kdb+discover',
]);

type OptionKind = 'boolean' | 'integer' | 'positiveInteger' | 'text' | 'nodePreference';

/**
 * The options both client packages understand (`@eventstore/db-client` 6.2, `@kurrent/kurrentdb-client` 1.3), keyed
 * the way they compare them: lower case without `-`/`_`. Both clients only print a console warning for any other key
 * and ignore it, so a typo such as `tsl=false` would connect with the wrong settings: it is refused here instead.
 */
const OPTIONS: ReadonlyMap<string, { readonly name: string; readonly kind: OptionKind }> = new Map(
  (
    [
      ['tls', 'boolean'],
      ['tlsVerifyCert', 'boolean'],
      ['throwOnAppendFailure', 'boolean'],
      ['dnsDiscover', 'boolean'],
      ['defaultDeadline', 'positiveInteger'],
      ['maxDiscoverAttempts', 'integer'],
      ['discoveryInterval', 'integer'],
      ['gossipTimeout', 'integer'],
      ['keepAliveInterval', 'integer'],
      ['keepAliveTimeout', 'integer'],
      ['connectionName', 'text'],
      ['tlsCAFile', 'text'],
      ['userCertFile', 'text'],
      ['userKeyFile', 'text'],
      ['nodePreference', 'nodePreference'],
    ] as const
  ).map(([name, kind]) => [flat(name), { name, kind }]),
);

const NODE_PREFERENCES = new Set(['leader', 'follower', 'readonlyreplica', 'random']);
/** Characters the clients' host pattern refuses (plus whitespace and `/`, which would start a path). */
const BAD_HOST_CHARACTER = /[$+!?*'(),;[\]{}|"%~#<>=&\s/@]/;
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

function flat(key: string): string {
  return key.trim().toLowerCase().replace(/[_-]/g, '');
}

function fail(problem: string): never {
  throw new InvalidConnectionStringError(problem);
}

/**
 * Validates an EventStoreDB/KurrentDB connection string with the clients' own grammar (scheme, optional
 * `user:password@`, comma-separated `host[:port]`, `?key=value&...`), before any client package parses it: the
 * clients throw an untyped `ParseError` whose message quotes the string, credentials included. A problem is reported
 * as {@link InvalidConnectionStringError}, naming the part by position or option name, never quoting the authority
 * or an option value.
 *
 * Stricter than the clients where they silently accept something wrong: unknown option keys, a port outside
 * 1–65535 or with trailing characters (`parseInt` would read `21x3` as 21), an integer option with trailing text.
 */
export function checkConnectionString(connectionString: unknown): CheckedConnectionString {
  if (typeof connectionString !== 'string') {
    fail(`expected a string, got ${connectionString === null ? 'null' : typeof connectionString}`);
  }
  const trimmed = connectionString.trim();
  if (trimmed === '') fail('it is empty');
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(trimmed);
  if (!schemeMatch) {
    fail('it does not start with a scheme such as esdb:// or kurrentdb://');
  }
  const scheme = schemeMatch[1]!.toLowerCase();
  let requiredPackage: EsdbClientPackage | undefined;
  if (KURRENT_SCHEMES.has(scheme)) requiredPackage = '@kurrent/kurrentdb-client';
  else if (!ESDB_SCHEMES.has(scheme)) {
    fail(
      `unsupported scheme "${scheme}://"; use esdb://, esdb+discover://, kurrentdb://, kurrentdb+discover://, ` +
        `kurrent:// or kdb://`,
    );
  }
  // The clients drop trailing slashes before parsing.
  let rest = trimmed.slice(schemeMatch[0].length).replace(/\/+$/, '');

  // Credentials, matched exactly as the clients match them: everything up to the first ':' is the user, then up to
  // the first '@' the password.
  const credentials = /^([^:]+):([^@]+)@/.exec(rest);
  if (credentials) {
    try {
      decodeURIComponent(credentials[1]!);
      decodeURIComponent(credentials[2]!);
    } catch {
      fail('the user name or password contains an invalid %-escape');
    }
    rest = rest.slice(credentials[0].length);
  } else if (/^[^?]*@/.test(rest)) {
    fail('credentials before "@" must be user:password, both non-empty');
  }

  const queryStart = rest.indexOf('?');
  const hostPart = queryStart < 0 ? rest : rest.slice(0, queryStart);
  const query = queryStart < 0 ? undefined : rest.slice(queryStart + 1);
  checkHosts(hostPart.endsWith('/') ? hostPart.slice(0, -1) : hostPart);
  const defaultDeadlineMs = query === undefined ? undefined : checkOptions(query);
  return {
    text: scheme + trimmed.slice(schemeMatch[1]!.length),
    requiredPackage,
    defaultDeadlineMs,
  };
}

function checkHosts(hostPart: string): void {
  if (hostPart === '') fail('it names no host (expected host[:port] after the scheme)');
  const hosts = hostPart.split(',');
  hosts.forEach((host, index) => {
    const which = hosts.length === 1 ? 'the host' : `host #${index + 1}`;
    if (host === '') fail(`${which} is empty`);
    if (BAD_HOST_CHARACTER.test(host)) {
      fail(
        host.includes('/')
          ? `${which} is followed by a path; only ?key=value options may follow the hosts`
          : `${which} contains a character a host name cannot have`,
      );
    }
    const parts = host.split(':');
    if (parts.length > 2) fail(`${which} has more than one ":" (expected host[:port])`);
    if (parts[0] === '') fail(`${which} has a port but no name`);
    if (parts.length === 2) {
      const port = parts[1]!;
      if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
        fail(`the port of ${which} is not a number from 1 to 65535`);
      }
    }
  });
}

/** Checks `key=value&...`; returns `defaultDeadline` when set. */
function checkOptions(query: string): number | undefined {
  if (query === '') fail('"?" is followed by no option');
  let defaultDeadlineMs: number | undefined;
  const pairs = query.split('&');
  pairs.forEach((pair, index) => {
    const separator = pair.indexOf('=');
    const rawKey = separator < 0 ? pair : pair.slice(0, separator);
    const value = separator < 0 ? '' : pair.slice(separator + 1).trim();
    const key = IDENTIFIER.test(rawKey.trim()) ? rawKey.trim() : undefined;
    const which = key === undefined ? `option #${index + 1}` : `option "${key}"`;
    if (key === undefined) fail(`${which} is not of the form key=value with a plain name as key`);
    if (separator < 0 || value === '') fail(`${which} has no value (expected key=value)`);
    const known = OPTIONS.get(flat(key));
    if (!known) {
      fail(`unknown ${which}; known options: ${[...OPTIONS.values()].map((o) => o.name).join(', ')}`);
    }
    switch (known.kind) {
      case 'boolean':
        if (value !== 'true' && value !== 'false') fail(`${which} must be true or false`);
        break;
      case 'integer':
        if (!/^-?\d{1,15}$/.test(value)) fail(`${which} must be an integer`);
        break;
      case 'positiveInteger': {
        const number = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
        if (!(number >= 1 && number <= MAX_DEADLINE_MS)) {
          fail(`${which} must be a whole number of milliseconds from 1 to ${MAX_DEADLINE_MS}`);
        }
        defaultDeadlineMs = number;
        break;
      }
      case 'nodePreference':
        if (!NODE_PREFERENCES.has(flat(value))) {
          fail(`${which} must be leader, follower, readOnlyReplica or random`);
        }
        break;
      case 'text':
        try {
          decodeURIComponent(value);
        } catch {
          fail(`${which} contains an invalid %-escape`);
        }
        break;
    }
  });
  return defaultDeadlineMs;
}

/**
 * Creates a client with `open` (refusing a scheme the chosen package does not parse), turning anything its parser still refuses (the clients' untyped `ParseError`, or a
 * plain `Error` from the client's constructor) into {@link InvalidConnectionStringError}. The client's message quotes
 * the connection string, so it is never passed on as is: a `ParseError` contributes only its position and what it
 * expected; any other message has the credentials cut out. The original error is not attached as `cause` (its
 * `connectionString` field holds the credentials).
 */
export function openWithConnectionString<T>(
  checked: CheckedConnectionString,
  clientName: EsdbClientPackage,
  open: (connectionString: string) => T,
): T {
  if (checked.requiredPackage !== undefined && checked.requiredPackage !== clientName) {
    const scheme = checked.text.slice(0, checked.text.indexOf(':'));
    fail(
      `the scheme ${scheme}:// is understood by ${checked.requiredPackage} only, not ${clientName}; use esdb://`,
    );
  }
  try {
    return open(checked.text);
  } catch (error) {
    const parse = error as { location?: unknown; expected?: unknown };
    if (Array.isArray(parse.location) && typeof parse.expected === 'string') {
      fail(
        `${clientName} refused it at position ${String(parse.location[0])}, expected ${redact(parse.expected, checked.text)}`,
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    fail(`${clientName} refused it: ${redact(message, checked.text)}`);
  }
}

/** Cuts the credentials (and the whole string) out of a client message. */
function redact(message: string, connectionString: string): string {
  let safe = message.split(connectionString).join('<connection string>');
  const credentials = /^[^:]+:\/\/([^:]+):([^@]+)@/.exec(connectionString);
  if (credentials) {
    for (const secret of [credentials[2]!, credentials[1]!]) {
      if (secret.length > 0) safe = safe.split(secret).join('***');
    }
  }
  return safe;
}
