export * from './contract-support';
export * from './stream-store.contract';
export * from './checkpoint-store.contract';
export * from './snapshot-store.contract';
export * from './transport.contract';
export * from './key-store.contract';
