import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CheckpointStore } from '../foundation/subscriptions/checkpoint-store';
import type { ListenerSource } from '../foundation/subscriptions/listener-source';
import type { StreamStore } from '../persistence/stream-store';
import { ConfigInvalidError, ConfigNotFoundError } from './cli.errors';

/** A read model the CLI can rebuild: the model, and the sources it follows. */
export interface ConfiguredReadModel {
  /** The model (a `ReadModelBase`, or anything with `start` and `rebuild`). */
  readonly model: {
    start(...sources: ListenerSource[]): Promise<void>;
    rebuild(options?: {
      onProgress?: (progress: { handled: number; total: number | undefined }) => void;
      progressEvery?: number;
    }): Promise<{ handled: number; total: number | undefined }>;
    stop(): Promise<void>;
  };
  /** The sources the model follows (what `start` is given). */
  readonly sources: readonly ListenerSource[];
}

/** What the CLI passes to the config's factories. */
export interface ConfigContext {
  /** The store the CLI opened (from `--store`, or the config's own). */
  readonly store: StreamStore;
  /** The checkpoint store: the config's, or the store adapter's. */
  readonly checkpoints: CheckpointStore | undefined;
}

/**
 * What `reactive-domain.config.js` (or `.cjs`, `.mjs`, `.ts` run under tsx) exports, as `module.exports`, named
 * exports or a default export:
 *
 * ```js
 * module.exports = {
 *   store: 'sqlite:.data/app.sqlite',            // or a StreamStore, or () => StreamStore | Promise<StreamStore>
 *   checkpoints: ({ store }) => checkpointStore,  // optional (SQL stores bring their own)
 *   readModels: {
 *     'order-summaries': ({ store, checkpoints }) => ({
 *       model: new OrderSummaries({ store, serializer, checkpoints }),
 *       sources: [ListenerSources.category('order')],
 *     }),
 *   },
 * };
 * ```
 */
export interface ReactiveDomainConfig {
  /** A store URL, a store, or a factory of one. `--store` overrides it. */
  readonly store?: string | StreamStore | (() => StreamStore | Promise<StreamStore>);
  /** A checkpoint store, or a factory of one. */
  readonly checkpoints?: CheckpointStore | ((context: { store: StreamStore }) => CheckpointStore);
  /** Read models by name, for `rebuild` and `checkpoints list`. */
  readonly readModels?: Readonly<
    Record<string, (context: ConfigContext) => ConfiguredReadModel | Promise<ConfiguredReadModel>>
  >;
}

/** Config file names looked for in the working directory, in order. */
export const CONFIG_FILES = [
  'reactive-domain.config.js',
  'reactive-domain.config.cjs',
  'reactive-domain.config.mjs',
  'reactive-domain.config.ts',
] as const;

/**
 * Loads the config named by `path`, or the first of {@link CONFIG_FILES} in `cwd`; undefined when no path was given
 * and none exists.
 * @throws ConfigNotFoundError for a `path` that does not exist; ConfigInvalidError when it cannot be loaded.
 */
export async function loadConfig(
  path: string | undefined,
  cwd: string,
): Promise<ReactiveDomainConfig | undefined> {
  let file: string | undefined;
  if (path !== undefined) {
    file = resolve(cwd, path);
    if (!existsSync(file)) throw new ConfigNotFoundError(file);
  } else {
    file = CONFIG_FILES.map((name) => resolve(cwd, name)).find((candidate) => existsSync(candidate));
    if (file === undefined) return undefined;
  }
  let loaded: unknown;
  try {
    loaded = await import(pathToFileURL(file).href);
  } catch (error) {
    const hint =
      file.endsWith('.ts') && String((error as { code?: unknown }).code) === 'ERR_UNKNOWN_FILE_EXTENSION'
        ? ' (a .ts config needs a TypeScript loader: run the CLI with NODE_OPTIONS="--import tsx")'
        : '';
    throw new ConfigInvalidError(
      `Config ${file} could not be loaded${hint}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const module = loaded as { default?: unknown } & Record<string, unknown>;
  // CommonJS through import(): module.exports is `default` (named exports only when Node's lexer detected them); an
  // ES module may export names, a default object, or both.
  const { default: defaultExport, ...named } = module;
  const config = (
    typeof defaultExport === 'object' && defaultExport !== null ? { ...named, ...defaultExport } : named
  ) as ReactiveDomainConfig;
  if (
    config.readModels !== undefined &&
    (typeof config.readModels !== 'object' || config.readModels === null)
  ) {
    throw new ConfigInvalidError(`Config ${file}: readModels must be an object of factories by name`);
  }
  return config;
}
