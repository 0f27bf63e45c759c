import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Runs the project's formatter (biome) over a Markdown file the bench just wrote, so that `npm run lint`,
 * which also checks Markdown, stays green after a run. Returns false, leaving the file as written, when
 * biome is not installed.
 *
 * @example
 * writeFileSync(file, report); formatMarkdown(root, file)
 */
export function formatMarkdown(root: string, file: string): boolean {
  const biome = join(root, 'node_modules', '.bin', 'biome')
  if (!existsSync(biome)) return false
  execFileSync(biome, ['format', '--write', file], { cwd: root, stdio: 'ignore' })
  return true
}
