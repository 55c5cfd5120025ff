export * from './tenancy.errors';
export * from './tenant-scope';
export * from './tenant-stream-name-builder';
export * from './tenant-stream-store';
export * from './enforce-tenant';
