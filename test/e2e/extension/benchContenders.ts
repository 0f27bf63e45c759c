// Names shared by the e2e bench test (Node) and its extension scenarios, in a module without imports,
// so the test does not load the peer libraries just to know their names.

/** Contenders of the browser bench, in table order. */
export const BROWSER_CONTENDERS = ['raw Port', 'nmrpc', 'oRPC', 'capnweb', 'tRPC'] as const
export type BrowserContender = (typeof BROWSER_CONTENDERS)[number]

/** How many calls the bench keeps in flight in its second half. */
export const IN_FLIGHT = 64
