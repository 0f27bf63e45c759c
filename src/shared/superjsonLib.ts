// superjson, behind a module of nmrpc's own. superjson's package.json does not say `sideEffects: false`, so a
// bundler keeps any `import 'superjson'` it meets in a module it keeps. tsup builds this file as an entry
// point of its own (tsup.config.ts) so that it lands in a dist file of its own: the dist chunk with
// jsonCodec and RpcError then imports superjson through this file, which (nmrpc being `sideEffects: false`)
// a consumer's bundler drops with superjson when superjsonCodec is not used.
export { SuperJSON } from 'superjson'
