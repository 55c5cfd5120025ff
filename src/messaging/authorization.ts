import type { MessageType } from '../core/message';
import { UnauthorizedError } from './authorization.errors';
import { PrincipalScope, type Principal } from './principal-scope';

/** A policy's answer: {@link PolicyAllow} or {@link PolicyDeny}. */
export type PolicyDecision = PolicyAllow | PolicyDeny;

/** The message may pass. */
export interface PolicyAllow {
  /** Discriminant. */
  readonly allow: true;
}

/** The message is refused. */
export interface PolicyDeny {
  /** Discriminant. */
  readonly allow: false;
  /** Why (goes into the error and the audit record: keep personal data out). */
  readonly reason: string;
}

/** Allows. */
export function allow(): PolicyDecision {
  return ALLOW;
}
const ALLOW: PolicyDecision = Object.freeze({ allow: true });

/** Denies, with a reason that goes into the `UnauthorizedError` and the audit record (keep personal data out). */
export function deny(reason: string): PolicyDecision {
  return { allow: false, reason };
}

/**
 * Decides whether `principal` (undefined: nobody is authenticated) may send or fetch `message`. May be async (e.g.
 * to look up ownership). A policy that throws or returns anything but a decision denies: a broken policy never
 * lets a message through.
 */
export type Policy<M extends object = object> = (
  principal: Principal | undefined,
  message: M,
) => PolicyDecision | Promise<PolicyDecision>;

/** Runs a policy; a throw or a malformed answer is a denial (fail closed). */
export async function evaluatePolicy<M extends object>(
  policy: Policy<M>,
  principal: Principal | undefined,
  message: M,
): Promise<PolicyDecision> {
  let decision: unknown;
  try {
    decision = await policy(principal, message);
  } catch (error) {
    return deny(`the policy failed (${error instanceof Error ? error.name : 'error'})`);
  }
  if (typeof decision === 'object' && decision !== null) {
    const d = decision as { allow?: unknown; reason?: unknown };
    if (d.allow === true) return ALLOW;
    if (d.allow === false) return deny(typeof d.reason === 'string' ? d.reason : 'denied');
  }
  return deny('the policy returned no decision');
}

/** All policies must allow; the first denial wins. */
export function allOf<M extends object>(...policies: readonly Policy<M>[]): Policy<M> {
  return async (principal, message) => {
    for (const policy of policies) {
      const decision = await evaluatePolicy(policy, principal, message);
      if (!decision.allow) return decision;
    }
    return ALLOW;
  };
}

/** Options of {@link rolePolicy}. */
export interface RolePolicyOptions {
  /**
   * What a message type not listed in the rules gets: `deny` (the default: a new command is closed until someone
   * grants it) or `authenticated` (any principal).
   */
  readonly unlisted?: 'deny' | 'authenticated';
}

/**
 * A role-based policy: each listed message type (a class; subclasses match their closest listed ancestor) requires
 * one of its roles. No principal is always denied.
 *
 * @example
 * ```ts
 * const policy = rolePolicy([
 *   [PlaceOrder, ['customer', 'clerk']],
 *   [CancelOrder, ['clerk']],
 *   [GetOrder, ['customer', 'clerk']],
 * ]);
 * ```
 */
export function rolePolicy(
  rules: Iterable<readonly [MessageType, readonly string[]]>,
  options: RolePolicyOptions = {},
): Policy {
  const byType = new Map<Function, ReadonlySet<string>>();
  for (const [type, roles] of rules) byType.set(type, new Set(roles));
  const unlisted = options.unlisted ?? 'deny';
  return (principal, message) => {
    if (principal === undefined) return deny('not authenticated');
    let proto: unknown = Object.getPrototypeOf(message);
    while (proto !== null && proto !== Object.prototype) {
      const roles = byType.get((proto as { constructor: Function }).constructor);
      if (roles !== undefined) {
        for (const role of principal.roles) if (roles.has(role)) return ALLOW;
        return deny(`requires one of the roles ${[...roles].join(', ')}`);
      }
      proto = Object.getPrototypeOf(proto);
    }
    return unlisted === 'authenticated' ? ALLOW : deny('no rule grants this message type');
  };
}

/** Options of {@link authorize}. */
export interface AuthorizeOptions {
  /**
   * Where the principal comes from (default: {@link PrincipalScope.current}). Return undefined for "nobody".
   * `context.metadata` is the middleware pipeline's shared map (e.g. an earlier middleware put the user there).
   */
  readonly principal?: (message: object, metadata: ReadonlyMap<string, unknown>) => Principal | undefined;
}

/** The part of a middleware context {@link authorize} uses (the dispatcher's and the query bus's both fit). */
export interface AuthorizationContext<F> {
  /** The command or query. */
  readonly message: object;
  /** Items shared along the dispatch. */
  readonly metadata: Map<string, unknown>;
  /** Short-circuits with a typed failure. */
  fail(error: unknown): F;
}

/** Key under which {@link authorize} leaves the principal in the pipeline's metadata for later middleware (audit). */
export const PRINCIPAL_METADATA_KEY = 'principal';

/**
 * A middleware for `CommandDispatcher.use` and `QueryBus.use`: runs `policy` for every message; a denial
 * short-circuits with a `Fail` (commands) or a rejected fetch (queries) carrying an {@link UnauthorizedError} —
 * the handler never runs, so nothing is appended. The principal is left in the pipeline's metadata under
 * {@link PRINCIPAL_METADATA_KEY} for the middleware after it.
 *
 * Register audit before authorization (`dispatcher.use(audit); dispatcher.use(authorize(policy))`) so denials are
 * recorded too.
 */
export function authorize(
  policy: Policy,
  options: AuthorizeOptions = {},
): <F, R>(context: AuthorizationContext<F>, next: () => Promise<R>) => Promise<R | F> {
  const principalOf = options.principal ?? (() => PrincipalScope.current());
  return async (context, next) => {
    const message = context.message;
    const principal = principalOf(message, context.metadata);
    if (principal !== undefined) context.metadata.set(PRINCIPAL_METADATA_KEY, principal);
    const decision = await evaluatePolicy(policy, principal, message);
    if (!decision.allow)
      return context.fail(new UnauthorizedError(typeNameOf(message), principal?.id, decision.reason));
    return next();
  };
}

function typeNameOf(message: object): string {
  return (message as { constructor?: { name?: string } }).constructor?.name || 'message';
}
