import { ReactiveDomainError } from '../../src/core/reactive-domain.error';
import {
  MessageAlreadyCorrelatedError,
  MessageBuilder,
  MessageNotCorrelatedError,
} from '../../src/messaging';
import { AccountOpened, CloseAccount, OpenAccount, Ping } from './fixtures';

describe('MessageBuilder', () => {
  it('new() starts a conversation: correlation = own msgId, no causation', () => {
    const command = MessageBuilder.new(() => new OpenAccount('a'));
    expect(command).toBeInstanceOf(OpenAccount);
    expect(command.correlationId).toBe(command.msgId);
    expect(command.causationId).toBeUndefined();
  });

  it('from(source).build() continues it: correlation = source correlation, causation = source msgId', () => {
    const command = MessageBuilder.new(() => new OpenAccount('a'));
    const event = MessageBuilder.from(command).build(() => new AccountOpened('a'));
    const followUp = MessageBuilder.from(event).build(() => new CloseAccount('a'));
    expect(event.correlationId).toBe(command.msgId);
    expect(event.causationId).toBe(command.msgId);
    expect(followUp.correlationId).toBe(command.msgId);
    expect(followUp.causationId).toBe(event.msgId);
  });

  it.each([
    ['undefined', undefined],
    ['empty', ''],
  ])('a source with %s correlation falls back to the source msgId', (_label, correlation) => {
    const source = new OpenAccount('a');
    source.correlationId = correlation;
    const event = MessageBuilder.from(source).build(() => new AccountOpened('a'));
    expect(event.correlationId).toBe(source.msgId);
    expect(event.causationId).toBe(source.msgId);
  });

  it('one builder can build several messages from the same source', () => {
    const source = MessageBuilder.new(() => new OpenAccount('a'));
    const builder = MessageBuilder.from(source);
    const [x, y] = [builder.build(() => new AccountOpened('x')), builder.build(() => new AccountOpened('y'))];
    expect([x.causationId, y.causationId]).toEqual([source.msgId, source.msgId]);
    expect(x.msgId).not.toBe(y.msgId);
  });

  it('throws MessageNotCorrelatedError when the factory builds an uncorrelated message', () => {
    const source = MessageBuilder.new(() => new OpenAccount('a'));
    // Ping is a plain (uncorrelated) message; the cast mimics JavaScript callers or loose typing.
    const build = () => MessageBuilder.from(source).build(() => new Ping(1) as unknown as OpenAccount);
    expect(build).toThrow(MessageNotCorrelatedError);
    expect(build).toThrow(/built message.*Ping/);
    expect(() => MessageBuilder.new(() => ({}) as OpenAccount)).toThrow(MessageNotCorrelatedError);
  });

  it('throws MessageNotCorrelatedError for an uncorrelated source', () => {
    expect(() => MessageBuilder.from(new Ping(1) as unknown as OpenAccount)).toThrow(/source/);
  });

  it('throws MessageAlreadyCorrelatedError when the built message already has ids, and never overwrites them', () => {
    const preset = new AccountOpened('a');
    preset.correlationId = 'kept';
    expect(() => MessageBuilder.new(() => preset)).toThrow(MessageAlreadyCorrelatedError);
    expect(preset.correlationId).toBe('kept');
    const caused = new AccountOpened('b');
    caused.causationId = 'kept';
    const source = MessageBuilder.new(() => new OpenAccount('a'));
    let error: unknown;
    try {
      MessageBuilder.from(source).build(() => caused);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MessageAlreadyCorrelatedError);
    expect(error).toBeInstanceOf(ReactiveDomainError);
    expect((error as MessageAlreadyCorrelatedError).code).toBe('MESSAGE_ALREADY_CORRELATED');
    expect((error as Error).message).toContain(caused.msgId);
    expect(caused.correlationId).toBeUndefined();
  });
});
