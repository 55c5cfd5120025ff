import { ReactiveDomainError } from '../../core/reactive-domain.error';

/** The NATS server lacks a feature the requested configuration needs (e.g. several topics per group before 2.10). */
export class NatsFeatureUnsupportedError extends ReactiveDomainError {
  readonly code = 'NATS_FEATURE_UNSUPPORTED';
}
