export * from './process-manager';
export * from './process-manager-host';
