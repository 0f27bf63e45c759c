// The start of a built bundle takes its script back from the comment that is the body of the function
// ending the file (src/build/bundleStart.ts). The functions here are made from source text, as the
// bundle's own is: toString gives back exactly that text.
import { describe, expect, it } from 'vitest'
import { scriptFromComment } from '../../src/build/bundleStart.js'

const SCRIPT = "(function (exports) {\nexports.a = '*/' + /x*\\//.source\n})"

/** The function a bundle ends with, for `kept` (the script as written in the comment). */
function holder(kept: string): () => void {
  // biome-ignore lint/security/noGlobalEval: the function must be made from its source text, as in a bundle
  return (0, eval)(`(function __nmrpcScript(){/*${kept}*/})`) as () => void
}

describe('scriptFromComment', () => {
  const escape = '*\u0001/'
  const kept = SCRIPT.replaceAll('*/', escape)

  it('gives back the script, each */ of it put back', () => {
    expect(kept).not.toContain('*/')
    expect(scriptFromComment({ fn: holder(kept), length: kept.length, escape }, 'a.mjs')).toBe(SCRIPT)
    expect(scriptFromComment({ fn: holder('(function(){})'), length: 14 }, 'a.mjs')).toBe('(function(){})')
  })

  it('takes a file whose line ends became CRLF (git autocrlf) as the one built', () => {
    const crlf = kept.replaceAll('\n', '\r\n')
    expect(scriptFromComment({ fn: holder(crlf), length: kept.length, escape }, 'a.mjs')).toBe(SCRIPT)
  })

  it('refuses a comment that is not the one built, naming the file and the fix', () => {
    expect(() => scriptFromComment({ fn: holder(`${kept} `), length: kept.length, escape }, '/x/com.acme.app.mjs'))
      .toThrowErrorMatchingInlineSnapshot(
        `[Error: /x/com.acme.app.mjs is not the file nmrpc build wrote: the comment that keeps its script does not hold the 58 characters it did (was the file edited, or saved in another encoding?). Build it again with nmrpc build.]`,
      )
    expect(() => scriptFromComment(undefined, 'a.mjs')).toThrow('a bug in nmrpc build')
  })
})
