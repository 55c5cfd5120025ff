import { randomUUID } from 'node:crypto';
import type { Command, MessageType } from '../core/message';
import { logSafely } from '../core/logger';
import { InvalidArgumentError } from '../core/reactive-domain.error';
import type { CommandDispatcher, SendOptions } from '../messaging/command-dispatcher';
import type { BusSubscription } from '../messaging/in-memory-bus';
import { DEFAULT_COMMAND_TIMEOUT_MS } from '../messaging/command-dispatcher';
import { Canceled, type CommandResponse, Fail, Success } from '../messaging/command-messages';
import { CommandCanceledError, CommandError, CommandTimedOutError } from '../messaging/command.errors';
import { TenantScope } from '../foundation/tenancy/tenant-scope';
import { validTimeoutMs } from './deadline';
import { describeReason } from './delivery-runner';
import { type InboxStore, withInbox } from './inbox-store';
import type { MessageTransport, TransportDelivery, TransportSubscription } from './message-transport';
import { MessageCodec, type MessageContext } from './message-codec';
import { RemoteCommandError, RemoteCommandNotHandledError } from './transport.errors';
import { topicToken, type TransportMessage } from './transport-message';

/** Type name of reply messages. */
export const COMMAND_REPLY_TYPE = 'rd.CommandReply';
const REPLY_TO = 'reply-to';
const DEADLINE = 'deadline';

/** The body of a reply. */
interface ReplyBody {
  readonly commandId: string;
  readonly kind: 'ack' | 'success' | 'fail' | 'canceled';
  readonly reason?: 'timeout' | 'aborted';
  readonly error?: { readonly name: string; readonly code?: string; readonly message: string };
  /** On an ack: where the sender can send a cancellation to the instance that runs the command. */
  readonly cancelTo?: string;
  /** On a success: the handler's result, as JSON (absent when undefined or not representable in JSON). */
  readonly result?: unknown;
  /** On a success: the positions appended on behalf of the command, as decimal strings. */
  readonly positions?: readonly string[];
}

/** Type name of cancellation messages (sender -> the instance running the command). */
export const COMMAND_CANCEL_TYPE = 'rd.CommandCancel';

/** Topic (and group) of a command type's handlers. */
export function commandTopic(typeName: string): string {
  return `commands.${topicToken(typeName)}`;
}

/** Options of {@link serveRemoteCommands}. */
export interface ServeRemoteCommandsOptions {
  /** Where commands arrive. */
  readonly transport: MessageTransport;
  /** The local dispatcher whose handlers run the commands. */
  readonly dispatcher: CommandDispatcher;
  /** The command classes this process serves (each registered in the codec's registry and in the dispatcher). */
  readonly types: readonly MessageType<Command>[];
  /** Codec (default: one over the default registry). */
  readonly codec?: MessageCodec;
  /** Commands handled at once per type and instance (default 16). */
  readonly prefetch?: number;
  /** Failures without a caller (undecodable commands, failed replies). */
  readonly onError?: (error: unknown) => void;
  /**
   * Dedup by command id: a redelivered command (its first run's ack was lost) does not run twice. Without it a
   * command may run more than once after a crash, as with any at-least-once delivery.
   */
  readonly inbox?: InboxStore<unknown>;
}

/** A running command server. */
export interface RemoteCommandServer {
  /** Stops taking commands (running ones finish and reply). */
  stop(): Promise<void>;
}

/**
 * Serves commands sent by {@link RemoteCommandSender}s in other processes: each type is a consumer group
 * `commands.<type>`, so several instances share the load and each command runs once. A command is acknowledged to
 * its sender at once, run through the local dispatcher with the time the sender has left (its handler's
 * `AbortSignal` fires at the sender's deadline), and answered with the outcome. A command that arrives after its
 * deadline is not run.
 */
export async function serveRemoteCommands(options: ServeRemoteCommandsOptions): Promise<RemoteCommandServer> {
  const codec = options.codec ?? new MessageCodec();
  const subscriptions: TransportSubscription[] = [];
  // Commands running in this instance, by id: a sender's cancellation aborts the handler's signal.
  const running = new Map<string, AbortController>();
  const cancelTo = `command-cancels.${randomUUID()}`;
  subscriptions.push(
    await options.transport.subscribe(
      {
        group: cancelTo,
        topics: [cancelTo],
        ephemeral: true,
        ...(options.onError ? { onError: options.onError } : {}),
      },
      ({ message }) => {
        if (message.type !== COMMAND_CANCEL_TYPE) return;
        const commandId = (JSON.parse(message.body) as { commandId?: unknown }).commandId;
        if (typeof commandId === 'string') running.get(commandId)?.abort(new Error('canceled by the sender'));
      },
    ),
  );
  const reply = async (request: TransportMessage, body: ReplyBody): Promise<void> => {
    const replyTo = request.headers?.[REPLY_TO];
    if (!replyTo) return;
    await options.transport.publish(replyTo, {
      messageId: randomUUID(),
      type: COMMAND_REPLY_TYPE,
      body: JSON.stringify(body),
      correlationId: request.correlationId ?? request.messageId,
      causationId: request.messageId,
      tenant: request.tenant,
      traceparent: request.traceparent,
    });
  };
  for (const type of options.types) {
    const typeName = codec.serializer.registry.nameOfType(type);
    if (!typeName)
      throw new InvalidArgumentError(
        `serveRemoteCommands: ${type.name} is not registered in the codec's registry`,
      );
    if (!options.dispatcher.hasHandler(type)) {
      throw new InvalidArgumentError(`serveRemoteCommands: the dispatcher has no handler for ${typeName}`);
    }
    const topic = commandTopic(typeName);
    subscriptions.push(
      await options.transport.subscribe(
        {
          group: topic,
          topics: [topic],
          prefetch: options.prefetch ?? 16,
          ...(options.onError ? { onError: options.onError } : {}),
        },
        options.inbox ? withInbox(options.inbox, topic, handleDelivery) : handleDelivery,
      ),
    );
  }
  function handleDelivery(delivery: TransportDelivery): Promise<void> {
    return handle(delivery.message);
  }
  async function handle(request: TransportMessage): Promise<void> {
    const command = codec.decode<Command>(request);
    const deadline = Number(request.headers?.[DEADLINE]);
    const left = Number.isFinite(deadline) ? deadline - Date.now() : DEFAULT_COMMAND_TIMEOUT_MS;
    if (left <= 0) {
      await reply(request, { commandId: request.messageId, kind: 'canceled', reason: 'timeout' });
      return;
    }
    const controller = new AbortController();
    running.set(request.messageId, controller);
    try {
      await reply(request, { commandId: request.messageId, kind: 'ack', cancelTo });
      const run = () => options.dispatcher.trySend(command, { timeoutMs: left, signal: controller.signal });
      // The sender's tenant (rd-tenant) becomes the handler's tenant scope, where tenancy middleware checks it.
      let response: CommandResponse;
      if (request.tenant === undefined) response = await run();
      else {
        try {
          TenantScope.check(request.tenant);
        } catch (error) {
          await reply(request, replyOf(request.messageId, new Fail(command, error)));
          return;
        }
        response = await TenantScope.run(request.tenant, run);
      }
      await reply(request, replyOf(request.messageId, response));
    } finally {
      running.delete(request.messageId);
    }
  }
  return {
    async stop() {
      for (const subscription of subscriptions) await subscription.close();
    },
  };
}

function replyOf(commandId: string, response: CommandResponse): ReplyBody {
  if (response instanceof Success) {
    return {
      commandId,
      kind: 'success',
      ...resultField(response),
      ...(response.positions.length > 0 ? { positions: response.positions.map(String) } : {}),
    };
  }
  const failure = response as Fail;
  const cause =
    failure.error instanceof CommandError && failure.error.cause !== undefined
      ? failure.error.cause
      : failure.error;
  const error = {
    name: cause instanceof Error ? cause.name : 'Error',
    ...(typeof (cause as { code?: unknown })?.code === 'string'
      ? { code: (cause as { code: string }).code }
      : {}),
    message: cause instanceof Error ? cause.message : describeReason(cause),
  };
  if (response instanceof Canceled) return { commandId, kind: 'canceled', reason: response.reason, error };
  return { commandId, kind: 'fail', error };
}

/**
 * The handler's result for the reply: it crosses as JSON, so the sender gets plain data (a `Date` arrives as its ISO
 * string). A result JSON cannot hold (a bigint, a cycle, a function) is left out and reported here, in the process
 * that produced it: the sender's `Success` then has no `result`.
 */
function resultField(success: Success): { result?: unknown } {
  if (success.result === undefined) return {};
  let text: string | undefined;
  try {
    text = JSON.stringify(success.result);
  } catch (error) {
    reportDroppedResult(success, error);
    return {};
  }
  if (text !== undefined) return { result: success.result };
  reportDroppedResult(success, new Error(`${typeof success.result} is not representable in JSON`));
  return {};
}

function reportDroppedResult(success: Success, error: unknown): void {
  logSafely(
    'warn',
    { type: 'ReactiveDomainWarning', err: error, commandId: success.command.msgId },
    `remote command ${success.command.msgId}: its result cannot cross as JSON (${String(error)}); the sender's Success has no result`,
  );
}

/** Positions from a reply; anything but decimal strings is ignored (the reply comes from another process). */
function positionsOf(positions: unknown): readonly bigint[] | undefined {
  if (!Array.isArray(positions)) return undefined;
  const parsed: bigint[] = [];
  for (const position of positions)
    if (typeof position === 'string' && /^\d{1,30}$/.test(position)) parsed.push(BigInt(position));
  return parsed;
}

/** Options of {@link RemoteCommandSender}. */
export interface RemoteCommandSenderOptions {
  /** Where commands are sent. */
  readonly transport: MessageTransport;
  /** Codec (default: one over the default registry). */
  readonly codec?: MessageCodec;
  /** Timeout of sends without their own (default 30 s, as the local dispatcher). */
  readonly defaultTimeoutMs?: number;
  /** Tenant and trace context of a command (default: the tenant of the current `TenantScope`, if any). */
  readonly contextOf?: (command: Command) => MessageContext;
}

interface Pending {
  readonly command: Command;
  acked: boolean;
  cancelTo: string | undefined;
  readonly settle: (response: CommandResponse) => void;
}

/**
 * Sends commands to handlers in other processes and resolves with their outcome: the local
 * `CommandDispatcher.send` / `trySend` API across a broker.
 *
 * - `trySend` resolves to {@link Success}, {@link Fail} (the remote error as a {@link RemoteCommandError}) or
 *   {@link Canceled} (timeout or the caller's signal); `send` throws as the local dispatcher does.
 * - When no handler acknowledged the command before the timeout, the outcome is a `Fail` with
 *   {@link RemoteCommandNotHandledError}: in-process, "no handler" is known at once; across processes only when
 *   the time is up. An acknowledged command that did not finish in time is `Canceled` (reason `timeout`).
 * - The remote handler receives the remaining time as its own timeout, so its `AbortSignal` fires at the same
 *   deadline. Aborting with the caller's signal answers `Canceled` at once and sends a cancellation to the instance
 *   running the command (best effort), which aborts its handler's signal; the deadline bounds it in any case.
 * - Replies come back on an ephemeral group of this instance (`replies.<uuid>`); call {@link start} first.
 */
export class RemoteCommandSender {
  private readonly codec: MessageCodec;
  private readonly pending = new Map<string, Pending>();
  /**
   * Commands the caller aborted before their ack arrived, so nobody yet knew where to send the cancellation: the
   * ack, when it comes, triggers it. Each entry lives until the command's deadline at most.
   */
  private readonly cancelOnAck = new Map<string, Command>();
  private readonly replyTopic = `replies.${randomUUID()}`;
  private subscription: TransportSubscription | undefined;
  private timeoutMs: number;

  constructor(private readonly options: RemoteCommandSenderOptions) {
    this.codec = options.codec ?? new MessageCodec();
    this.timeoutMs = validTimeoutMs(
      options.defaultTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      'defaultTimeoutMs',
    );
  }

  /** Timeout of sends without their own. */
  get defaultTimeoutMs(): number {
    return this.timeoutMs;
  }

  /** Sets the timeout of later sends without their own. */
  set defaultTimeoutMs(value: number) {
    this.timeoutMs = validTimeoutMs(value, 'defaultTimeoutMs');
  }

  /** Starts listening for replies. */
  async start(): Promise<void> {
    this.subscription ??= await this.options.transport.subscribe(
      { group: this.replyTopic, topics: [this.replyTopic], ephemeral: true, prefetch: 64 },
      (delivery) => this.onReply(delivery.message),
    );
  }

  /** Stops listening; pending sends are answered `Canceled`. */
  async stop(): Promise<void> {
    for (const pending of this.pending.values()) {
      pending.settle(
        new Canceled(pending.command, new CommandCanceledError(pending.command, 'sender stopped'), 'aborted'),
      );
    }
    await this.subscription?.close();
    this.subscription = undefined;
  }

  /** Sends and resolves with {@link Success}; throws the failure otherwise (as `CommandDispatcher.send`). */
  async send(command: Command, options?: SendOptions): Promise<Success> {
    const response = await this.trySend(command, options);
    if (response instanceof Success) return response;
    const failure = response as Fail;
    throw failure.error instanceof Error ? failure.error : new CommandError(command, failure.error);
  }

  /** Sends and resolves with the response; rejects only for invalid options or before {@link start}. */
  async trySend(command: Command, options?: SendOptions): Promise<CommandResponse> {
    if (!this.subscription)
      throw new InvalidArgumentError('RemoteCommandSender: call start() before sending');
    const timeoutMs =
      options?.timeoutMs === undefined ? this.timeoutMs : validTimeoutMs(options.timeoutMs, 'timeoutMs');
    const signal = options?.signal;
    if (signal?.aborted)
      return new Canceled(command, new CommandCanceledError(command, signal.reason), 'aborted');
    const tenant = TenantScope.current();
    const encoded = this.codec.encode(
      command,
      // Without a contextOf, the caller's tenant scope travels with the command.
      this.options.contextOf?.(command) ?? (tenant === undefined ? undefined : { tenant }),
    );
    const message: TransportMessage = {
      ...encoded,
      headers: { [REPLY_TO]: this.replyTopic, [DEADLINE]: String(Date.now() + timeoutMs) },
    };
    return new Promise<CommandResponse>((resolve) => {
      let done = false;
      const settle = (response: CommandResponse): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(command.msgId);
        resolve(response);
      };
      const entry: Pending = { command, acked: false, cancelTo: undefined, settle };
      const timer = setTimeout(() => {
        settle(
          entry.acked
            ? new Canceled(command, new CommandTimedOutError(command, timeoutMs), 'timeout')
            : new Fail(command, new RemoteCommandNotHandledError(encoded.type, command.msgId, timeoutMs)),
        );
      }, timeoutMs);
      timer.unref();
      const onAbort = (): void => {
        // Tell the instance running it, so its handler's signal fires now rather than at the deadline.
        if (entry.cancelTo) this.sendCancel(entry.cancelTo, command);
        else this.cancelWhenAcked(command, timeoutMs);
        settle(new Canceled(command, new CommandCanceledError(command, signal?.reason), 'aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(command.msgId, entry);
      this.options.transport
        .publish(commandTopic(encoded.type), message, { timeoutMs, ...(signal ? { signal } : {}) })
        .catch((error: unknown) => settle(new Fail(command, error)));
    });
  }

  /** The ack of an aborted command may still come: remember to cancel it then, until its deadline. */
  private cancelWhenAcked(command: Command, timeoutMs: number): void {
    this.cancelOnAck.set(command.msgId, command);
    setTimeout(() => this.cancelOnAck.delete(command.msgId), timeoutMs).unref();
  }

  private sendCancel(topic: string, command: Command): void {
    this.options.transport
      .publish(topic, {
        messageId: randomUUID(),
        type: COMMAND_CANCEL_TYPE,
        body: JSON.stringify({ commandId: command.msgId }),
        correlationId: command.correlationId ?? command.msgId,
        causationId: command.msgId,
      })
      .catch(() => undefined); // best effort: the handler still stops at the command's deadline
  }

  private onReply(message: TransportMessage): void {
    let body: ReplyBody;
    try {
      body = JSON.parse(message.body) as ReplyBody;
    } catch {
      return; // not a reply: nothing waits for it
    }
    const pending = this.pending.get(body.commandId);
    if (!pending) {
      // Late: the caller was answered already. An ack of a command it aborted says where to send the cancellation.
      const aborted = this.cancelOnAck.get(body.commandId);
      if (aborted && body.kind === 'ack' && typeof body.cancelTo === 'string')
        this.sendCancel(body.cancelTo, aborted);
      if (aborted) this.cancelOnAck.delete(body.commandId);
      return;
    }
    const command = pending.command;
    const typeName = this.codec.serializer.registry.nameOf(command) ?? 'command';
    const remoteError = (): RemoteCommandError =>
      new RemoteCommandError(
        typeName,
        command.msgId,
        body.error?.name ?? 'Error',
        body.error?.code,
        body.error?.message ?? '',
      );
    switch (body.kind) {
      case 'ack':
        pending.acked = true;
        pending.cancelTo = typeof body.cancelTo === 'string' ? body.cancelTo : undefined;
        return;
      case 'success':
        return pending.settle(new Success(command, body.result, positionsOf(body.positions)));
      case 'fail':
        return pending.settle(new Fail(command, remoteError()));
      case 'canceled':
        return pending.settle(
          new Canceled(
            command,
            body.reason === 'aborted'
              ? new CommandCanceledError(command, remoteError())
              : new CommandTimedOutError(command, this.timeoutMs),
            body.reason ?? 'timeout',
          ),
        );
    }
  }
}

/** Options of {@link forwardCommands}. */
export interface ForwardCommandsOptions {
  /** The local dispatcher that gets a forwarding handler per type. */
  readonly dispatcher: CommandDispatcher;
  /** The sender that carries them to the process that handles them. */
  readonly sender: RemoteCommandSender;
  /** The command classes handled elsewhere. */
  readonly types: readonly MessageType<Command>[];
}

/**
 * Registers, for each type, a local handler that sends the command to its remote handler and succeeds or fails as
 * it did (the local caller's signal and timeout carry over). Code that sends through the local dispatcher (a saga,
 * a process manager) then works unchanged when the handlers move to another process. Returns the registrations.
 */
export function forwardCommands(options: ForwardCommandsOptions): BusSubscription[] {
  return options.types.map((type) =>
    options.dispatcher.register(type, async (command, { signal }) => {
      await options.sender.send(command, { signal });
    }),
  );
}
