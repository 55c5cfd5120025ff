import type { AppendStreamState, KurrentDBClient } from '@kurrent/kurrentdb-client';
import type * as KurrentPackage from '@kurrent/kurrentdb-client';
import type {
  EsdbAppendResult,
  EsdbCallOptions,
  EsdbExpectedState,
  EsdbProposedEvent,
} from './esdb-client-port';
import { clientDeadline, toClientJsonEvent } from './client-event-conversion';
import { ClientPackageAdapter, type ClientFilterFactories } from './client-package-adapter';
import { checkConnectionString, openWithConnectionString } from './esdb-connection-string';
import { ClientPackageMissingError } from './eventstoredb.errors';

type KurrentModule = typeof KurrentPackage;

const PACKAGE = '@kurrent/kurrentdb-client' as const;
let kurrentModule: KurrentModule | undefined;

/**
 * Loads the optional peer `@kurrent/kurrentdb-client` on first use, so importing this library never fails when it
 * is absent (only creating a Kurrent adapter does, with {@link ClientPackageMissingError}).
 */
export function loadKurrentClientModule(): KurrentModule {
  if (kurrentModule) return kurrentModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    kurrentModule = require(PACKAGE) as KurrentModule;
  } catch (error) {
    throw new ClientPackageMissingError(PACKAGE, { cause: error });
  }
  return kurrentModule;
}

/**
 * {@link EsdbClientPort} over `@kurrent/kurrentdb-client` 1.x, the renamed successor of `@eventstore/db-client`; the
 * calls both packages share are in `ClientPackageAdapter`.
 *
 * Differences handled here, each checked against the package's code:
 * - appends take the expected state as `streamState` (the old `expectedRevision` is silently ignored by this
 *   package and the append would run with ANY — the option object is typed, so a wrong name does not compile);
 *   delete and tombstone still take `expectedRevision`;
 * - `readStream`/`readAll` go through a native (Rust) bridge and return async iterators; subscriptions still use
 *   gRPC from JavaScript;
 * - its `WrongExpectedVersionError` carries `expectedState`/`actualState` (mapped in `esdb-mapping.ts`).
 */
export class KurrentDBClientAdapter extends ClientPackageAdapter<KurrentDBClient> {
  /** The wrapped client package (for messages). */
  readonly clientName = PACKAGE;

  /** Creates a client from a `kurrentdb://` or `esdb://` connection string; the adapter owns (and disposes) it.
   * @throws InvalidConnectionStringError when the string is malformed (the message never quotes credentials).
   */
  static fromConnectionString(connectionString: string): KurrentDBClientAdapter {
    const checked = checkConnectionString(connectionString);
    const { KurrentDBClient: Client } = loadKurrentClientModule();
    const client = openWithConnectionString(checked, PACKAGE, (text) => Client.connectionString(text));
    return new KurrentDBClientAdapter(client, true);
  }

  /** Appends `events` atomically, passing the expected state as `streamState`; rejects with the client's error. */
  async append(
    streamName: string,
    expected: EsdbExpectedState,
    events: readonly EsdbProposedEvent[],
    options: EsdbCallOptions = {},
  ): Promise<EsdbAppendResult> {
    const { jsonEvent } = loadKurrentClientModule();
    const streamState: AppendStreamState = expected;
    const result = await this.client.appendToStream(
      streamName,
      events.map((event) => jsonEvent(toClientJsonEvent(event))),
      { streamState, ...clientDeadline(options) },
    );
    return { nextRevision: result.nextExpectedRevision, position: result.position?.commit };
  }

  /** @internal */
  protected filterFactories(): ClientFilterFactories {
    return loadKurrentClientModule();
  }
}
