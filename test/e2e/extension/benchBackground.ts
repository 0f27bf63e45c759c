// Background of the e2e bench build: the nmrpc scenarios (for the large-result row) and the peer bench,
// which bundles oRPC, capnweb and tRPC; kept out of the shared background so other e2e tests do not
// carry those libraries.
import { peerBench } from './benchScenarios'
import * as rpc from './rpcScenarios'
import { serveScenarios } from './serveScenarios'

serveScenarios({ ...rpc, peerBench })
