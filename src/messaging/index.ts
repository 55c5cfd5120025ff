export * from './bus.errors';
export * from './command.errors';
export * from './query.errors';
export * from './queued-handler.errors';
export * from './message-builder.errors';
export * from './message-builder';
export * from './correlation-scope';
export * from './written-positions';
export * from './command-messages';
export * from './in-memory-bus';
export * from './command-dispatcher';
export * from './query-bus';
export {
  QueryFail,
  type CommandMiddleware,
  type CommandMiddlewareContext,
  type MiddlewareContext,
  type QueryMiddleware,
  type QueryMiddlewareContext,
} from './middleware';
export * from './queued-handler';
export * from './saga-operators';
export * from './authorization.errors';
export * from './principal-scope';
export * from './authorization';
