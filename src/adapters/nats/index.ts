/**
 * NATS JetStream transport (`reactive-domain/nats`). Needs the optional peers `@nats-io/transport-node` and
 * `@nats-io/jetstream` (3.x), loaded on first use.
 * @packageDocumentation
 */
export * from './nats.errors';
export * from './nats-transport';
