export * from './install/index.js'
export { ChildPort, type SpawnHostOptions, spawnHost } from './spawnHost.js'
