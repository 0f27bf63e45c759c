import { createHash, generateKeyPairSync } from 'node:crypto'

/** A Chromium extension identity: the manifest `key` and the id it yields. */
export interface ExtensionKey {
  /** Base64 of the DER (SPKI) public key, for the manifest's `"key"`. */
  readonly key: string
  /** The 32-letter extension id Chromium derives from `key`. */
  readonly id: string
}

/**
 * Computes the extension id Chromium derives from a public key: the first 32 hex digits of
 * sha256(DER key), each digit 0-f written as a letter a-p.
 *
 * @example
 * extensionIdFromKey(Buffer.from(manifest.key, 'base64')) // 'kcbgl...'
 */
export function extensionIdFromKey(der: Uint8Array): string {
  const hex = createHash('sha256').update(der).digest('hex').slice(0, 32)
  return [...hex].map((d) => String.fromCharCode(97 + Number.parseInt(d, 16))).join('')
}

/**
 * Generates a fresh RSA key pair and returns the public half as a manifest key with its id, so a
 * test knows the extension id (needed in the host manifest's `allowed_origins`) before launch.
 *
 * @example
 * const { key, id } = createExtensionKey()
 * writeFileSync('manifest.json', JSON.stringify({ ...manifest, key }))
 */
export function createExtensionKey(): ExtensionKey {
  const { publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  return { key: publicKey.toString('base64'), id: extensionIdFromKey(publicKey) }
}
