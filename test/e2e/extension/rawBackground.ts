// Background with the raw scenarios only: proves the harness without depending on nmrpc's build.
import * as raw from './rawScenarios'
import { serveScenarios } from './serveScenarios'

serveScenarios({ ...raw })
