export { ChildPort, type SpawnHostOptions, spawnHost } from './spawnHost.js'
export * from './install/index.js'
