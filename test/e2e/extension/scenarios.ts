// Every scenario the e2e tests can run inside the extension, by name. Results are plain JSON so they
// cross `sw.evaluate` and the control host unchanged.
import * as raw from './rawScenarios'

export const scenarios = { ...raw }
