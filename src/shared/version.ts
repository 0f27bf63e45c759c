/** This package's version, sent in `hello` for diagnostics. Kept in step with package.json by a test. */
export const VERSION = '0.1.0'
export const IMPL = `nmrpc/${VERSION}`
