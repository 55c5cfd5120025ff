export * from './process-manager';
export * from './process-manager-host';
export * from './process-manager.errors';
