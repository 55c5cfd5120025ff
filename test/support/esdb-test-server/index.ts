export {
  startEsdbTestServer,
  type EsdbStallKind,
  type EsdbTestServer,
  type EsdbTestServerOptions,
  type EsdbTestServerProtocol,
} from './esdb-test-server';
export { startBlackHoleServer, type BlackHoleServer } from './black-hole-server';
