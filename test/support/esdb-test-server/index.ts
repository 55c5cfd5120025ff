export {
  startEsdbTestServer,
  type EsdbTestServer,
  type EsdbTestServerOptions,
  type EsdbTestServerProtocol,
} from './esdb-test-server';
