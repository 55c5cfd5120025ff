import type { GroupOptions, TransportSubscribeOptions } from './message-transport';
import { validPositiveInteger, validTimeoutMs } from './deadline';
import { assertTopic, deadLetterGroup, deadLetterTopic, isDeadLetterGroup } from './transport-message';

/** Checks group options (shared by the adapters). @throws InvalidTopicError / InvalidArgumentError */
export function checkGroup(options: GroupOptions): void {
  assertTopic(options.group, 'group');
  if (!Array.isArray(options.topics) || options.topics.length === 0) {
    assertTopic('', `topics of group ${options.group}`);
  }
  for (const topic of options.topics) assertTopic(topic, `topic pattern of group ${options.group}`, true);
  if (options.maxDeliveries !== undefined) validPositiveInteger(options.maxDeliveries, 'maxDeliveries');
  if (options.ackTimeoutMs !== undefined) validTimeoutMs(options.ackTimeoutMs, 'ackTimeoutMs');
}

/**
 * The group that keeps the dead letters of the group `options` declares, declared with it so dead letters are never
 * dropped; undefined for an ephemeral group and for a dead-letter group itself.
 */
export function deadLetterGroupOf(options: GroupOptions): GroupOptions | undefined {
  if (options.ephemeral || isDeadLetterGroup(options.group)) return undefined;
  return { group: deadLetterGroup(options.group), topics: [deadLetterTopic(options.group)] };
}

/** The checked `prefetch` (default 16) and `maxDeliveries` (default 5) of a subscription. @throws InvalidArgumentError */
export function subscriptionLimits(options: TransportSubscribeOptions): {
  /** Unsettled deliveries an instance holds at once. */
  readonly prefetch: number;
  /** Attempts before a message is dead-lettered. */
  readonly maxDeliveries: number;
} {
  return {
    prefetch: validPositiveInteger(options.prefetch ?? 16, 'prefetch'),
    maxDeliveries: validPositiveInteger(options.maxDeliveries ?? 5, 'maxDeliveries'),
  };
}
