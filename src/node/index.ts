export { ChildPort, type SpawnHostOptions, spawnHost } from './spawnHost.js'
