/**
 * RabbitMQ transport (`reactive-domain/rabbitmq`). Needs the optional peer `amqplib` (2.x), loaded on first use.
 * @packageDocumentation
 */
export * from './rabbitmq.errors';
export * from './rabbitmq-transport';
