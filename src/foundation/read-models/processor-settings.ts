import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import type { EventProcessorOptions } from './event-processor-hooks';
import type { HandlerErrorPolicy } from './read-model-types';

/** The validated tuning of an `EventProcessor`, defaults applied. @internal */
export interface ProcessorSettings {
  readonly batchSize: number;
  readonly batchDelayMs: number;
  readonly checkpointEvery: number;
  readonly checkpointIdleMs: number;
  readonly onHandlerError: HandlerErrorPolicy;
}

/** Validates the tuning options (typed errors naming the model) and applies the defaults. @internal */
export function processorSettings(options: EventProcessorOptions): ProcessorSettings {
  const label = `Read model ${JSON.stringify(options.name)}`;
  const positiveInteger = (name: string, value: number): number => {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new InvalidArgumentError(
        `${label}: ${name} must be a positive integer, got ${describeValue(value)}`,
      );
    }
    return value;
  };
  const nonNegative = (name: string, value: number): number => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError(`${label}: ${name} must be >= 0, got ${describeValue(value)}`);
    }
    return value;
  };
  const policy = options.onHandlerError ?? 'fail';
  if (policy !== 'fail' && policy !== 'park') {
    throw new InvalidArgumentError(
      `${label}: onHandlerError must be 'fail' or 'park', got ${describeValue(policy)}`,
    );
  }
  return {
    batchSize: positiveInteger('batchSize', options.batchSize ?? 1),
    batchDelayMs: nonNegative('batchDelayMs', options.batchDelayMs ?? 10),
    checkpointEvery: positiveInteger('checkpointEvery', options.checkpointEvery ?? 1),
    checkpointIdleMs: nonNegative('checkpointIdleMs', options.checkpointIdleMs ?? 50),
    onHandlerError: policy,
  };
}

/** Throws a typed error naming `owner` unless `name` is a non-blank string. @internal */
export function assertOwnerName(owner: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw new InvalidArgumentError(`${owner}: name must be a non-blank string, got ${describeValue(name)}`);
  }
}
