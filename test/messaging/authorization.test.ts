import { Command, Query } from '../../src/core/message';
import {
  PRINCIPAL_METADATA_KEY,
  PrincipalScope,
  UnauthorizedError,
  allOf,
  allow,
  authorize,
  deny,
  evaluatePolicy,
  rolePolicy,
  type Policy,
  type Principal,
} from '../../src/messaging';
import { InvalidArgumentError } from '../../src/core/reactive-domain.error';

class PlaceOrder extends Command {
  constructor(readonly customerEmail: string) {
    super();
  }
}
class PlaceRushOrder extends PlaceOrder {}
class CancelOrder extends Command {}
class Unlisted extends Command {}
class GetOrder extends Query<string> {}

const alice: Principal = { id: 'alice', roles: ['customer'] };
const bob: Principal = { id: 'bob', roles: ['clerk'] };
const CANARY = 'canary-55@example.org';

const policy = rolePolicy([
  [PlaceOrder, ['customer', 'clerk']],
  [CancelOrder, ['clerk']],
  [GetOrder, ['customer', 'clerk']],
]);

/** A minimal pipeline context, as the dispatcher gives one. */
function run(middleware: ReturnType<typeof authorize>, message: object) {
  const metadata = new Map<string, unknown>();
  let handled = 0;
  const failed: unknown[] = [];
  const outcome = middleware(
    {
      message,
      metadata,
      fail: (error: unknown) => {
        failed.push(error);
        return { kind: 'fail' as const, error };
      },
    },
    () => {
      handled++;
      return Promise.resolve({ kind: 'success' as const });
    },
  );
  return outcome.then((result) => ({ result, handled, failed, metadata }));
}

describe('rolePolicy', () => {
  it('allows a listed role, denies the others, nobody, and unlisted types by default', async () => {
    expect(await evaluatePolicy(policy, alice, new PlaceOrder('x'))).toEqual({ allow: true });
    expect(await evaluatePolicy(policy, alice, new CancelOrder())).toEqual({
      allow: false,
      reason: 'requires one of the roles clerk',
    });
    expect((await evaluatePolicy(policy, undefined, new PlaceOrder('x'))).allow).toBe(false);
    expect((await evaluatePolicy(policy, bob, new Unlisted())).allow).toBe(false);
    expect(
      (await evaluatePolicy(rolePolicy([], { unlisted: 'authenticated' }), bob, new Unlisted())).allow,
    ).toBe(true);
    expect((await evaluatePolicy(policy, alice, new GetOrder())).allow).toBe(true);
  });

  it('a subclass follows its closest listed ancestor', async () => {
    expect((await evaluatePolicy(policy, alice, new PlaceRushOrder('x'))).allow).toBe(true);
    const stricter = rolePolicy([
      [PlaceOrder, ['customer']],
      [PlaceRushOrder, ['clerk']],
    ]);
    expect((await evaluatePolicy(stricter, alice, new PlaceRushOrder('x'))).allow).toBe(false);
  });
});

describe('evaluatePolicy fails closed', () => {
  it.each<[string, Policy]>([
    [
      'throws',
      () => {
        throw new Error(CANARY);
      },
    ],
    ['rejects', () => Promise.reject(new Error('x'))],
    ['returns undefined', () => undefined as never],
    ['returns a truthy non-decision', () => ({ allow: 'yes' }) as never],
  ])('a policy that %s denies', async (_name, broken) => {
    const decision = await evaluatePolicy(broken, alice, new PlaceOrder('x'));
    expect(decision.allow).toBe(false);
    expect(JSON.stringify(decision)).not.toContain(CANARY);
  });

  it('allOf: every policy must allow, the first denial wins', async () => {
    const owner: Policy = (p) => (p?.id === 'alice' ? allow() : deny('not the owner'));
    expect(await evaluatePolicy(allOf(policy, owner), bob, new PlaceOrder('x'))).toEqual(
      deny('not the owner'),
    );
    expect((await evaluatePolicy(allOf(policy, owner), alice, new PlaceOrder('x'))).allow).toBe(true);
  });
});

describe('authorize middleware', () => {
  it('a denial short-circuits with a typed UNAUTHORIZED failure; the handler never runs', async () => {
    const { result, handled, failed } = await PrincipalScope.run(alice, () =>
      run(authorize(policy), new CancelOrder()),
    );
    expect(handled).toBe(0);
    expect(result).toMatchObject({ kind: 'fail' });
    const error = failed[0] as UnauthorizedError;
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.principalId).toBe('alice');
    expect(error.messageType).toBe('CancelOrder');
  });

  it('outside any principal scope the caller is anonymous and denied', async () => {
    const { handled, failed } = await run(authorize(policy), new PlaceOrder('x'));
    expect(handled).toBe(0);
    expect((failed[0] as UnauthorizedError).principalId).toBeUndefined();
  });

  it('allowed: the handler runs once and the principal is left for later middleware', async () => {
    const { handled, failed, metadata } = await PrincipalScope.run(bob, () =>
      run(authorize(policy), new CancelOrder()),
    );
    expect(handled).toBe(1);
    expect(failed).toEqual([]);
    expect(metadata.get(PRINCIPAL_METADATA_KEY)).toBe(bob);
  });

  it('takes the principal from message metadata when told to, never mixing principals of concurrent calls', async () => {
    const fromMetadata = authorize(policy, {
      principal: (_m, metadata) => metadata.get('user') as Principal | undefined,
    });
    const { handled } = await PrincipalScope.run(bob, () => run(fromMetadata, new CancelOrder()));
    expect(handled).toBe(0); // the scope is ignored: this source says nobody

    const results = await Promise.all(
      [alice, bob, alice, bob].map((p) =>
        PrincipalScope.run(p, () => run(authorize(policy), new CancelOrder())),
      ),
    );
    expect(results.map((r) => r.handled)).toEqual([0, 1, 0, 1]);
  });

  it('no message field appears in the denial', async () => {
    const { failed } = await run(authorize(policy), new PlaceOrder(CANARY));
    expect(`${(failed[0] as Error).message} ${JSON.stringify(failed[0])}`).not.toContain(CANARY);
  });

  it('PrincipalScope validates the principal', () => {
    expect(() => PrincipalScope.run({ id: '', roles: [] }, () => 1)).toThrow(InvalidArgumentError);
    expect(() => PrincipalScope.run({ id: 'x' } as Principal, () => 1)).toThrow(InvalidArgumentError);
    expect(PrincipalScope.current()).toBeUndefined();
  });
});
