/** What `nmrpc build` bakes into a built host: everything its `--install` and `--doctor` need. */
export interface BuiltConfig {
  /** The host name extensions pass to `connectNative`. */
  name: string
  /** Allowed callers: Chromium ids or origins, and Firefox add-on ids. */
  extensionIds: string[]
  /** Manifest description. */
  description: string
  /** The nmrpc version that built the file (and whose runtime it contains). */
  nmrpcVersion: string
  /** `bundle`: one .mjs run by node; `sea`: a single executable with node inside. */
  kind: 'bundle' | 'sea'
}
