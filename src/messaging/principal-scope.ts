import { AsyncLocalStorage } from 'node:async_hooks';
import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';

/** Who is acting: an authenticated user or service, as your authentication established it. */
export interface Principal {
  /** Stable id (a user id, a service name). Recorded in audit records. */
  readonly id: string;
  /** Roles, for {@link rolePolicy}. */
  readonly roles: readonly string[];
  /** Anything else your policies need (tenant, scopes, claims); never recorded unless you choose to. */
  readonly claims?: { readonly [claim: string]: unknown };
}

let storage: AsyncLocalStorage<Principal> | undefined;

/**
 * The principal of the current asynchronous call chain (AsyncLocalStorage), opt-in like `CorrelationScope`: an HTTP
 * handler runs `PrincipalScope.run(userFromToken, () => dispatcher.send(cmd))`, and the authorization and audit
 * middleware read it. Nothing is stored until a scope is opened.
 */
export class PrincipalScope {
  private constructor() {}

  /** Runs `fn` with `principal` as the current principal. */
  static run<T>(principal: Principal, fn: () => T): T {
    if (
      typeof principal !== 'object' ||
      principal === null ||
      typeof principal.id !== 'string' ||
      principal.id.length === 0 ||
      !Array.isArray(principal.roles) ||
      !principal.roles.every((role) => typeof role === 'string')
    )
      throw new InvalidArgumentError(
        `PrincipalScope.run: expected { id: non-empty string, roles: string[] }, got ${describeValue(principal)}`,
      );
    storage ??= new AsyncLocalStorage<Principal>();
    return storage.run(principal, fn);
  }

  /** The current principal, or undefined outside any scope. */
  static current(): Principal | undefined {
    return storage?.getStore();
  }
}
