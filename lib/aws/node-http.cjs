'use strict';

// node:http as CommonJS, for the function bundles: infra/bundling.ts aliases `http` and `node:http` to this file.
//
// The AWS SDK's HTTP handler imports node:http as an ES module. On Node 22 and 24 (Lambda's nodejs24.x), Node builds an ES
// module of a built-in by reading every export, and node:http's WebSocket, CloseEvent and MessageEvent are getters that
// load Node's own copy of undici: measured in BENCHMARKS.md (cold start; nodejs/node#57649).
// Taken as CommonJS, the same module object keeps those getters lazy. Node 20 has no such getters.
module.exports = process.getBuiltinModule('node:http');
