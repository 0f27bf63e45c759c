import { MAX_REFUSED_CHUNK_KEYS } from './limits.js'
import type { ChunkEnvelope } from './protocol.js'

interface Partial {
  parts: string[]
  size: number
}

export type ReassemblyResult =
  | { kind: 'partial' }
  | { kind: 'complete'; text: string }
  | { kind: 'refused'; size: number }
  | { kind: 'ignored' }

/**
 * Puts chunked messages back together, bounded: one message may not exceed `maxBytes` (counted in UTF-16
 * units of JSON text, which equals bytes for ASCII such as base64), and all partial messages together may
 * not either. A refused message's later pieces are dropped without being stored.
 */
export class Reassembler {
  private partial = new Map<number, Partial>()
  private refused = new Set<number>()
  private total = 0

  constructor(private readonly maxBytes: number) {}

  get pendingBytes(): number {
    return this.total
  }

  add(c: ChunkEnvelope): ReassemblyResult {
    if (this.refused.has(c.k)) {
      if (c.end === 1) this.refused.delete(c.k)
      return { kind: 'ignored' }
    }
    let p = this.partial.get(c.k)
    if (!p) {
      p = { parts: [], size: 0 }
      this.partial.set(c.k, p)
    }
    p.size += c.d.length
    this.total += c.d.length
    if (p.size > this.maxBytes || this.total > this.maxBytes) {
      this.partial.delete(c.k)
      this.total -= p.size
      if (c.end !== 1) {
        this.refused.add(c.k)
        if (this.refused.size > MAX_REFUSED_CHUNK_KEYS)
          this.refused.delete(this.refused.values().next().value!)
      }
      return { kind: 'refused', size: p.size }
    }
    p.parts.push(c.d)
    if (c.end !== 1) return { kind: 'partial' }
    this.partial.delete(c.k)
    this.total -= p.size
    return { kind: 'complete', text: p.parts.length === 1 ? p.parts[0]! : p.parts.join('') }
  }

  clear(): void {
    this.partial.clear()
    this.refused.clear()
    this.total = 0
  }
}
