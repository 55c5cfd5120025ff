export * from './transport.contract';
