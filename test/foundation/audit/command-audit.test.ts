import { Command } from '../../../src/core/message';
import { setLogger, type LogFields } from '../../../src/core/logger';
import { COMMAND_RECORDED, recordCommands, type CommandRecord } from '../../../src/foundation';
import { CommandDispatcher, MessageBuilder } from '../../../src/messaging';
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
});
