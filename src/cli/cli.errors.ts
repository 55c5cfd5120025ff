import { ReactiveDomainError } from '../core/reactive-domain.error';

/** The command line is wrong (missing or malformed argument or option). Exit code 2. */
export class CliUsageError extends ReactiveDomainError {
  readonly code = 'CLI_USAGE';
}

/** The store URL's scheme is not one the CLI knows. */
export class UnsupportedStoreUrlError extends ReactiveDomainError {
  readonly code = 'UNSUPPORTED_STORE_URL';
  constructor(
    /** The URL, with any password replaced by `***`. */
    readonly url: string,
    /** The schemes the CLI knows. */
    readonly supported: readonly string[],
  ) {
    super(`Unsupported store URL ${JSON.stringify(url)}: use one of ${supported.join(', ')}`);
  }
}

/** No store was given: neither `--store`, nor `REACTIVE_DOMAIN_STORE`, nor a config file's `store`. */
export class NoStoreError extends ReactiveDomainError {
  readonly code = 'NO_STORE';
  constructor() {
    super(
      'No store: pass --store <url> (sqlite:<file>, postgres://…, esdb://…, kurrentdb://…), set REACTIVE_DOMAIN_STORE, ' +
        'or export a store from reactive-domain.config.js',
    );
  }
}

/** The store adapter a URL needs is not part of this installation of reactive-domain. */
export class StoreAdapterUnavailableError extends ReactiveDomainError {
  readonly code = 'STORE_ADAPTER_UNAVAILABLE';
  constructor(
    /** The adapter subpath, e.g. `sqlite`. */
    readonly adapter: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The ${adapter} store adapter (reactive-domain/${adapter}) is not available in this installation`,
      options,
    );
  }
}

/** The config file named by `--config` does not exist. */
export class ConfigNotFoundError extends ReactiveDomainError {
  readonly code = 'CONFIG_NOT_FOUND';
  constructor(
    /** The path that was looked for. */
    readonly path: string,
  ) {
    super(`Config file ${JSON.stringify(path)} not found`);
  }
}

/** The config file could not be loaded or does not export what the command needs. */
export class ConfigInvalidError extends ReactiveDomainError {
  readonly code = 'CONFIG_INVALID';
}

/** `rebuild` named a read model the config does not define. */
export class ReadModelNotConfiguredError extends ReactiveDomainError {
  readonly code = 'READ_MODEL_NOT_CONFIGURED';
  constructor(
    /** The name given on the command line. */
    readonly readModel: string,
    /** The names the config defines. */
    readonly known: readonly string[],
  ) {
    super(
      `No read model ${JSON.stringify(readModel)} in the config; ${known.length === 0 ? 'it defines none' : `it defines ${known.map((k) => JSON.stringify(k)).join(', ')}`}`,
    );
  }
}

/** No stored message belongs to the correlation id given to `trace`. */
export class CorrelationNotFoundError extends ReactiveDomainError {
  readonly code = 'CORRELATION_NOT_FOUND';
  constructor(
    /** The correlation id that was searched for. */
    readonly correlationId: string,
    /** Events scanned. */
    readonly scanned: number,
  ) {
    super(`No stored event has correlation id ${JSON.stringify(correlationId)} (${scanned} events scanned)`);
  }
}

/** The store has no schema the CLI could migrate, or no checkpoints it could list. */
export class StoreFeatureUnavailableError extends ReactiveDomainError {
  readonly code = 'STORE_FEATURE_UNAVAILABLE';
}
