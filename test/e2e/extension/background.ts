// Background of the e2e extension (Chromium: MV3 service worker; Firefox: background script), with
// every scenario: the raw baseline and the ones through nmrpc/client.
import * as raw from './rawScenarios'
import * as rpc from './rpcScenarios'
import { serveScenarios } from './serveScenarios'

serveScenarios({ ...raw, ...rpc })
