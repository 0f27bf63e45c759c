import { existsSync, readFileSync, writeFileSync } from 'node:fs'

/**
 * Replaces one `## heading` section of a Markdown file (up to the next `## `), or appends it, and
 * leaves every other section as it was: bench/RESULTS.md is shared with the Node benchmarks.
 *
 * @example
 * replaceSection('bench/RESULTS.md', 'Through a real browser', body)
 */
export function replaceSection(file: string, heading: string, body: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n'
  const lines = text.split('\n')
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`)
  const section = [`## ${heading}`, '', ...body.trimEnd().split('\n'), '']
  if (start < 0) {
    const base = text.endsWith('\n') ? text : `${text}\n`
    writeFileSync(file, `${base}\n${section.join('\n')}`)
    return
  }
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '))
  if (end < 0) end = lines.length
  const next = lines.slice(end)
  writeFileSync(file, [...lines.slice(0, start), ...section, ...next].join('\n').replace(/\n*$/, '\n'))
}
