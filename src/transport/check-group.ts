import type { GroupOptions } from './message-transport';
import { validPositiveInteger, validTimeoutMs } from './deadline';
import { assertTopic } from './transport-message';

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
