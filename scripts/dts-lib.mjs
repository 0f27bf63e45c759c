// tsup's declaration bundler drops `/// <reference lib>` directives. The client and the host declare
// `[Symbol.asyncDispose]` / `[Symbol.dispose]` (for `await using`), which need the esnext.disposable lib:
// carry it into each declaration file that uses them, so a consumer whose `lib` lacks it (e.g.
// ["ES2023", "DOM"], skipLibCheck false) still compiles nmrpc's types.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const directive = '/// <reference lib="esnext.disposable" />\n'
const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  )
for (const file of walk('dist').filter((f) => /\.d\.c?ts$/.test(f))) {
  const text = readFileSync(file, 'utf8')
  if (/Symbol\.(async)?[dD]ispose/.test(text) && !text.startsWith(directive))
    writeFileSync(file, directive + text)
}
