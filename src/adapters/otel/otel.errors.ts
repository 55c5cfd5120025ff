import { ReactiveDomainError } from '../../core/reactive-domain.error';

/** `@opentelemetry/api`, the optional peer `reactive-domain/otel` needs, is not installed. */
export class OtelPackageMissingError extends ReactiveDomainError {
  readonly code = 'OTEL_PACKAGE_MISSING';
  constructor(
    /** The npm package to install (`@opentelemetry/api`). */
    readonly packageName: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The optional peer dependency ${packageName} is not installed: add it to your dependencies to use reactive-domain/otel`,
      options,
    );
  }
}
