/**
 * The shared StreamStore contract against a REAL EventStoreDB (image eventstore/eventstore:24.10 via testcontainers,
 * or the server at EVENTSTORE_URL), through `@eventstore/db-client`. This is the layer that checks the adapter's
 * assumptions about the server (e.g. `$all` boundary semantics, commit == prepare positions, the append response's
 * position); the wire suite only checks them against the test server's model. Skips with one line when no server can
 * be reached (REQUIRE_EVENTSTORE=1 makes that a failure).
 */
import { realServerContract } from '../adapters/eventstoredb/eventstoredb-target';

realServerContract('@eventstore/db-client');
