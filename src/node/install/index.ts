/**
 * Programmatic install, uninstall and diagnosis of nmrpc native hosts: what the `nmrpc` CLI runs.
 * Re-exported from `nmrpc/node`.
 */

export { browserEnv, DESKTOP_PATH } from './browserEnv.js'
export {
  BROWSERS,
  type BrowserSpec,
  type Family,
  findBrowser,
  type Place,
  type PlatformEntry,
} from './browsers.js'
export {
  type BrowserReport,
  type DoctorOptions,
  type DoctorReport,
  doctor,
  type Finding,
} from './doctor.js'
export { InstallRefused, UsageError } from './errors.js'
export { type ActionStatus, type InstallResult, install } from './install.js'
export { launcherScript } from './launcher.js'
export {
  detectBrowsers,
  installPlace,
  isInstalled,
  type ResolvedPlace,
  searchPlaces,
  userDataDirPlace,
} from './locations.js'
export { buildManifest, type HostManifest } from './manifest.js'
export { checkPath, parseExtensionIds, validateHostName } from './names.js'
export { hostDirFor, type InstallOptions, type InstallPlan, type PlannedAction, planInstall } from './plan.js'
export { currentInstallEnv, expandPath, type InstallEnv, type Platform, type Scope } from './platform.js'
export {
  formatRegCommand,
  type RegCommand,
  type RegistryValue,
  regAdd,
  regDelete,
  regQuery,
} from './registry.js'
export { type UninstallOptions, type UninstallResult, uninstall } from './uninstall.js'
