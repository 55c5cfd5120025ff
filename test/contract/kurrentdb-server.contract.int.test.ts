/**
 * The shared StreamStore contract against a REAL EventStoreDB/KurrentDB through `@kurrent/kurrentdb-client` (its own
 * file: the two client packages must not share a process, see the test server's header). Skips with one line when
 * no server can be reached (REQUIRE_EVENTSTORE=1 makes that a failure).
 */
import { realServerContract } from '../adapters/eventstoredb/eventstoredb-target';

realServerContract('@kurrent/kurrentdb-client');
