/** The broker adapters, imported as an application imports `reactive-domain/nats` and `reactive-domain/rabbitmq`. */
export * from '../../src/adapters/nats';
export * from '../../src/adapters/rabbitmq';
