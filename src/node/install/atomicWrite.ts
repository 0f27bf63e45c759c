import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises'
import path from 'node:path'

/**
 * Writes `content` to `file` so that readers see the old file or the new one, never half of one: the text
 * goes to a temporary file in the same folder (same filesystem), is flushed, given its mode, and renamed
 * over the target. Creates missing parent folders.
 *
 * @example
 * await atomicWrite('/home/a/.mozilla/native-messaging-hosts/com.acme.app.json', '{...}\n', 0o644)
 */
export async function atomicWrite(file: string, content: string, mode: number): Promise<void> {
  const dir = path.dirname(file)
  await mkdir(dir, { recursive: true })
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const fh = await open(tmp, 'wx', mode)
    try {
      await fh.writeFile(content)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await chmod(tmp, mode)
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}
