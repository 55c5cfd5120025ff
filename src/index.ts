/**
 * reactive-domain: event sourcing for TypeScript.
 *
 * The root entry point re-exports the core model, messaging, persistence (including the in-memory store) and the
 * foundation (repositories, read models). The EventStoreDB store (`reactive-domain/eventstoredb`) and the testing kit
 * (`reactive-domain/testing`) are separate subpaths, so their dependencies load only when used.
 * @packageDocumentation
 */
export * from './core';
export * from './messaging';
export * from './persistence';
export * from './foundation';
export * from './transport';
