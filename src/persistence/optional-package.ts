import { OptionalPackageMissingError } from './optional-package.errors';

const loaded = new Map<string, unknown>();

/**
 * Loads an optional peer dependency the first time a feature needs it (a driver, class-transformer), so that
 * importing the library never loads — or requires — a package the application does not use. Throws
 * {@link OptionalPackageMissingError} (naming the package and `neededFor`) when it cannot be loaded; a later call
 * tries again (it may have been installed since). Type the result with `import type` of the package.
 */
export function requireOptionalPackage<T>(packageName: string, neededFor: string): T {
  if (loaded.has(packageName)) return loaded.get(packageName) as T;
  let module: T;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    module = require(packageName) as T;
  } catch (error) {
    throw new OptionalPackageMissingError(packageName, neededFor, { cause: error });
  }
  loaded.set(packageName, module);
  return module;
}
