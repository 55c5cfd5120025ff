/**
 * The example imports the library through this one file, exactly as an application imports `reactive-domain`
 * (the root entry) — so the example's code reads like user code, and one line changes when it moves out.
 */
export * from '../../src';
