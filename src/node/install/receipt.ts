import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { atomicWrite } from './atomicWrite.js'
import type { Platform } from './platform.js'
import { pathFor } from './platform.js'
import type { RegistryValue } from './registry.js'

/** One thing install wrote, as uninstall needs it to undo exactly that. */
export type ReceiptEntry =
  | { kind: 'file'; path: string; sha256: string }
  /** A folder install created; uninstall removes it if it is empty by then. */
  | { kind: 'dir'; path: string }
  | { kind: 'registry'; value: RegistryValue; data: string }

/** The record `nmrpc install` keeps next to the launcher: what it wrote, so uninstall removes only that. */
export interface Receipt {
  nmrpc: 1
  name: string
  entries: ReceiptEntry[]
  /** The browsers installs targeted (ids; `user-data-dir` for a bare profile install), so doctor checks them. */
  browsers?: string[]
  /** The `--user-data-dir` profiles installs wrote to, so doctor finds those manifests without being told. */
  userDataDirs?: string[]
}

/** What an install was for, kept in the receipt besides what it wrote. */
export interface ReceiptTargets {
  browsers?: readonly string[]
  userDataDir?: string
}

export const RECEIPT_FILE = 'receipt.json'

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

export function receiptPath(hostDir: string, platform: Platform): string {
  return pathFor(platform).join(hostDir, RECEIPT_FILE)
}

/** The receipt in `hostDir`, or `undefined` when there is none (nothing installed there). */
export async function readReceipt(hostDir: string, platform: Platform): Promise<Receipt | undefined> {
  let text: string
  try {
    text = await readFile(receiptPath(hostDir, platform), 'utf8')
  } catch {
    return undefined
  }
  const data: unknown = JSON.parse(text)
  if (typeof data !== 'object' || data === null || !Array.isArray((data as { entries?: unknown }).entries)) {
    throw new Error(`${receiptPath(hostDir, platform)} is not an nmrpc receipt; remove it by hand.`)
  }
  return data as Receipt
}

function entryKey(e: ReceiptEntry): string {
  return e.kind === 'file' || e.kind === 'dir'
    ? `${e.kind}:${e.path}`
    : `reg:${e.value.hive}\\${e.value.key}:${e.value.view}`
}

/**
 * Adds `entries` to the receipt in `hostDir` (replacing entries for the same file or key), and the browsers and
 * profile the install was for (added to those of earlier installs).
 */
export async function recordEntries(
  hostDir: string,
  platform: Platform,
  name: string,
  entries: ReceiptEntry[],
  targets: ReceiptTargets = {},
): Promise<void> {
  const old = (await readReceipt(hostDir, platform)) ?? { nmrpc: 1, name, entries: [] }
  const merged = new Map(old.entries.map((e) => [entryKey(e), e]))
  for (const e of entries) {
    // A folder that existed before this install was not created by it, whatever an older receipt says.
    if (e.kind !== 'dir') merged.set(entryKey(e), e)
    else if (!merged.has(entryKey(e))) merged.set(entryKey(e), e)
  }
  const receipt: Receipt = { nmrpc: 1, name, entries: [...merged.values()] }
  const browsers = union(old.browsers, targets.browsers)
  if (browsers.length > 0) receipt.browsers = browsers
  const dirs = union(old.userDataDirs, targets.userDataDir === undefined ? [] : [targets.userDataDir])
  if (dirs.length > 0) receipt.userDataDirs = dirs
  await atomicWrite(receiptPath(hostDir, platform), `${JSON.stringify(receipt, null, 2)}\n`, 0o644)
}

function union(a: readonly unknown[] | undefined, b: readonly string[] | undefined): string[] {
  const out = new Set<string>()
  for (const x of [...(a ?? []), ...(b ?? [])]) if (typeof x === 'string') out.add(x)
  return [...out]
}
