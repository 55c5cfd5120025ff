import { Command } from '../../../src/core/message';
import { setLogger, type LogFields } from '../../../src/core/logger';
import {
  COMMAND_RECORDED,
  REDACTED_MARKER,
  TenantScope,
  enforceTenant,
  recordCommands,
  type CommandRecord,
} from '../../../src/foundation';
import {
  CommandDispatcher,
  MessageBuilder,
  PrincipalScope,
  authorize,
  rolePolicy,
  type Principal,
} from '../../../src/messaging';
import { InMemoryStreamStore, type StreamSlice, type StreamStore } from '../../../src/persistence';

class Transfer extends Command {
  constructor(
    readonly from: string,
    readonly amount: bigint,
  ) {
    super();
  }
}

class RefusedError extends Error {
  readonly code = 'REFUSED';
}

async function recordsOf(
  store: StreamStore,
  stream: string,
): Promise<Array<{ data: CommandRecord; metadata: Record<string, unknown>; eventId: string; type: string }>> {
  const result = await store.readStream(stream);
  if (result.status !== 'ok') return [];
  return (result as StreamSlice).events.map((event) => ({
    data: JSON.parse(event.data) as CommandRecord,
    metadata: JSON.parse(event.metadata) as Record<string, unknown>,
    eventId: event.eventId,
    type: event.type,
  }));
}

afterEach(() => setLogger(undefined));

describe('recordCommands middleware', () => {
  it('records each handled command in its conversation stream with outcome, cause and fields', async () => {
    const store = new InMemoryStreamStore();
    const dispatcher = new CommandDispatcher();
    dispatcher.use(recordCommands(store));
    dispatcher.register(Transfer, (command) => {
      if (command.amount > 100n) throw new RefusedError('too much');
    });
    const first = MessageBuilder.new(() => new Transfer('acc-1', 5n));
    await dispatcher.send(first);
    const second = MessageBuilder.from(first).build(() => new Transfer('acc-1', 500n));
    const response = await dispatcher.trySend(second);
    expect(response.kind).toBe('fail');

    const records = await recordsOf(store, `commands-${first.msgId}`);
    expect(records.map((r) => r.type)).toEqual([COMMAND_RECORDED, COMMAND_RECORDED]);
    expect(records[0]).toMatchObject({
      eventId: first.msgId,
      data: {
        commandId: first.msgId,
        commandType: 'Transfer',
        outcome: 'success',
        fields: { from: 'acc-1', amount: '5' },
      },
      metadata: { $correlationId: first.msgId },
    });
    expect(records[0]!.metadata.$causationId).toBeUndefined();
    expect(records[1]).toMatchObject({
      eventId: second.msgId,
      data: { outcome: 'fail', error: { code: 'REFUSED', message: 'too much' } },
      metadata: { $correlationId: first.msgId, $causationId: first.msgId },
    });
    expect(typeof records[1]!.data.durationMs).toBe('number');
    expect(new Date(records[1]!.data.startedAt).getTime()).not.toBeNaN();
  });

  it('fields: false leaves the command fields out; a custom stream name is used', async () => {
    const store = new InMemoryStreamStore();
    const dispatcher = new CommandDispatcher();
    dispatcher.use(recordCommands(store, { fields: false, streamName: () => 'audit-all' }));
    dispatcher.register(Transfer, () => undefined);
    await dispatcher.send(MessageBuilder.new(() => new Transfer('acc-2', 1n)));
    const [record] = await recordsOf(store, 'audit-all');
    expect(record!.data.fields).toBeUndefined();
    expect(record!.data.commandType).toBe('Transfer');
  });

  it('a canceled command is recorded as canceled', async () => {
    const store = new InMemoryStreamStore();
    const dispatcher = new CommandDispatcher();
    dispatcher.use(recordCommands(store));
    dispatcher.register(
      Transfer,
      (_command, { signal }) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );
    const command = MessageBuilder.new(() => new Transfer('acc-3', 1n));
    expect((await dispatcher.trySend(command, { timeoutMs: 20 })).kind).toBe('canceled');
    const deadline = Date.now() + 10_000;
    let records = await recordsOf(store, `commands-${command.msgId}`);
    while (records.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      records = await recordsOf(store, `commands-${command.msgId}`);
    }
    expect(records[0]!.data.outcome).toBe('canceled');
  });

  it('a failed audit append is logged and does not change the command outcome', async () => {
    const store = new InMemoryStreamStore();
    const broken: StreamStore = Object.assign(Object.create(store) as StreamStore, {
      appendToStream: () => Promise.reject(new Error('disk full')),
    });
    const logged: Array<[LogFields, string]> = [];
    const record = (fields: LogFields, message: string): void => void logged.push([fields, message]);
    setLogger({ warn: record, error: record, info: record, debug: record });
    const dispatcher = new CommandDispatcher();
    dispatcher.use(recordCommands(broken));
    dispatcher.register(Transfer, () => undefined);
    const response = await dispatcher.trySend(MessageBuilder.new(() => new Transfer('acc-4', 1n)));
    expect(response.kind).toBe('success');
    expect(logged).toHaveLength(1);
    expect(logged[0]![1]).toMatch(/command audit: recording Transfer .* failed: Error: disk full/);
  });

  describe('with tenancy and authorization', () => {
    class ChangeEmail extends Command {
      constructor(
        readonly customerId: string,
        readonly contact: { email: string; phone: string[] },
        readonly password: string,
      ) {
        super();
      }
    }
    const clerk: Principal = { id: 'clerk-7', roles: ['clerk'] };
    const CANARY = 'audit-canary-5f1c@example.org';
    const PASSWORD = 'hunter2-canary-9d';

    function pipeline(store: StreamStore, sink?: (record: CommandRecord) => void) {
      const dispatcher = new CommandDispatcher();
      const handled: string[] = [];
      // Audit first, so that tenant and policy refusals are recorded too.
      dispatcher.use(
        recordCommands(store, {
          streamName: () => 'audit',
          redact: ['email', 'password'],
          ...(sink ? { sink } : {}),
        }),
      );
      dispatcher.use(enforceTenant());
      dispatcher.use(authorize(rolePolicy([[ChangeEmail, ['clerk']]])));
      dispatcher.register(ChangeEmail, (command) => {
        handled.push(command.customerId);
        // A careless handler quoting the secret values in its error.
        if (command.customerId === 'broken')
          throw new RefusedError(`cannot reach ${command.contact.email} with ${command.password}`);
      });
      return { dispatcher, handled };
    }

    it('records the principal and the tenant; a denial is recorded as a fail with UNAUTHORIZED', async () => {
      const store = new InMemoryStreamStore();
      const { dispatcher, handled } = pipeline(store);
      const command = () => new ChangeEmail('c-1', { email: 'a@b.c', phone: [] }, 'x');
      await TenantScope.run('acme', () => PrincipalScope.run(clerk, () => dispatcher.send(command())));
      const intruder: Principal = { id: 'mallory', roles: ['customer'] };
      const denied = await TenantScope.run('acme', () =>
        PrincipalScope.run(intruder, () => dispatcher.trySend(command())),
      );
      expect(denied.kind).toBe('fail');
      const noTenant = await PrincipalScope.run(clerk, () => dispatcher.trySend(command()));
      expect(noTenant.kind).toBe('fail');
      expect(handled).toEqual(['c-1']);

      const records = (await recordsOf(store, 'audit')).map((r) => r.data);
      expect(records).toHaveLength(3);
      expect(records[0]).toMatchObject({ outcome: 'success', principal: clerk, tenant: 'acme' });
      expect(records[1]).toMatchObject({
        outcome: 'fail',
        error: { code: 'UNAUTHORIZED' },
        principal: { id: 'mallory', roles: ['customer'] },
        tenant: 'acme',
      });
      expect(records[2]).toMatchObject({
        outcome: 'fail',
        error: { code: 'TENANT_REQUIRED' },
        principal: clerk,
      });
      expect(records[2]!.tenant).toBeUndefined();
    });

    it('redacts the listed fields at any depth, and their values in the error message; the canary is stored nowhere', async () => {
      const store = new InMemoryStreamStore();
      const sunk: CommandRecord[] = [];
      const { dispatcher } = pipeline(store, (record) => void sunk.push(record));
      const send = (customerId: string) =>
        TenantScope.run('acme', () =>
          PrincipalScope.run(clerk, () =>
            dispatcher.trySend(new ChangeEmail(customerId, { email: CANARY, phone: ['555-0100'] }, PASSWORD)),
          ),
        );
      expect((await send('c-2')).kind).toBe('success');
      expect((await send('broken')).kind).toBe('fail');

      const stored = await store.readAll();
      const raw = stored.events.map((e) => `${e.eventId} ${e.streamName} ${e.type} ${e.data} ${e.metadata}`);
      expect(raw).toHaveLength(2);
      for (const text of [...raw, JSON.stringify(sunk)]) {
        expect(text).not.toContain(CANARY);
        expect(text).not.toContain(PASSWORD);
      }
      const [ok, failed] = (await recordsOf(store, 'audit')).map((r) => r.data);
      expect(ok!.fields).toEqual({
        customerId: 'c-2',
        contact: { email: REDACTED_MARKER, phone: ['555-0100'] },
        password: REDACTED_MARKER,
      });
      expect(failed!.error).toEqual({
        code: 'REFUSED',
        message: `cannot reach ${REDACTED_MARKER} with ${REDACTED_MARKER}`,
      });
      // The sink saw the same records as the store.
      expect(sunk).toEqual([ok, failed]);
    });

    it('a failing sink is logged and changes neither the outcome nor the stored record', async () => {
      const store = new InMemoryStreamStore();
      const logged: string[] = [];
      const log = (_fields: LogFields, message: string): void => void logged.push(message);
      setLogger({ warn: log, error: log, info: log, debug: log });
      const { dispatcher } = pipeline(store, () => {
        throw new Error('sink down');
      });
      const outcome = await TenantScope.run('acme', () =>
        PrincipalScope.run(clerk, () =>
          dispatcher.trySend(new ChangeEmail('c-3', { email: 'a@b.c', phone: [] }, 'x')),
        ),
      );
      expect(outcome.kind).toBe('success');
      expect(await recordsOf(store, 'audit')).toHaveLength(1);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(/command audit: the sink failed on ChangeEmail .*: Error: sink down/);
    });
  });
});
