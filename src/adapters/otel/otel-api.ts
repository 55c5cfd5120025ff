import type * as OtelApiPackage from '@opentelemetry/api';
import { OtelPackageMissingError } from './otel.errors';

/** The `@opentelemetry/api` module. */
export type OtelApi = typeof OtelApiPackage;

const PACKAGE = '@opentelemetry/api';
let api: OtelApi | undefined;

/**
 * Loads the optional peer `@opentelemetry/api` on first use, so that importing `reactive-domain/otel` (let alone the
 * root entry) never fails when it is absent; creating telemetry does, with {@link OtelPackageMissingError}.
 */
export function loadOtelApi(): OtelApi {
  if (api) return api;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    api = require(PACKAGE) as OtelApi;
  } catch (error) {
    throw new OtelPackageMissingError(PACKAGE, { cause: error });
  }
  return api;
}
