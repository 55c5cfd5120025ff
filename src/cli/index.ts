export { runCli, createProgram } from './program';
export { processIo, type CliIo } from './cli-io';
export { openStoreUrl, redactUrl, STORE_URL_SCHEMES, type OpenedStore } from './store-url';
export {
  loadConfig,
  CONFIG_FILES,
  type ConfigContext,
  type ConfiguredReadModel,
  type ReactiveDomainConfig,
} from './config';
export {
  buildTraceTree,
  readConversation,
  renderMermaid,
  renderTree,
  treeToJson,
  type TraceNode,
  type TraceTree,
} from './trace-tree';
export * from './cli.errors';
