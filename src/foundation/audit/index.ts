export * from './command-audit';
