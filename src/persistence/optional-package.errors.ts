import { ReactiveDomainError } from '../core/reactive-domain.error';

/**
 * An optional peer dependency the called feature needs is not installed (or failed to load). The library never loads
 * one before a feature needs it, so only the code path that uses it fails, with this error naming the package.
 * Adapters may throw a subclass with a code of their own (e.g. `CLIENT_PACKAGE_MISSING`); `instanceof` this class
 * catches them all.
 */
export class OptionalPackageMissingError extends ReactiveDomainError {
  readonly code: string = 'OPTIONAL_PACKAGE_MISSING';
  constructor(
    /** The npm package to install, e.g. `class-transformer`. */
    readonly packageName: string,
    /** What needed it, e.g. `event type "OrderPlaced" (registered with useClassTransformer)`. */
    readonly neededFor: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The optional peer dependency ${packageName} is not installed, but ${neededFor} needs it: ` +
        `add ${packageName} to your dependencies`,
      options,
    );
  }
}
