/** A running browser with the e2e extension loaded, driven the same way whichever browser it is. */
export interface BrowserUnderTest {
  readonly name: 'chromium' | 'firefox'
  /** Runs a named scenario inside the extension's background and resolves with its JSON result. */
  run<T = unknown>(scenario: string, ...args: unknown[]): Promise<T>
  /** Ends the browser and every process it started; safe to call twice. */
  close(): Promise<void>
}

/** How long any one browser may live, in seconds: `timeout -k 5` kills it past this. */
export const browserLifetimeSeconds = 240
