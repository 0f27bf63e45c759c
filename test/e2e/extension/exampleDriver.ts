// Added next to the ping-pong example's own background in the Firefox e2e run (Firefox has no remote
// protocol): it drives the example through the `pingPong` object the example's background exposes.
import { serveScenarios } from './serveScenarios'

interface PingPong {
  ping(): Promise<string>
  greet(name: string): Promise<{ text: string; at: Date }>
  divide(a: number, b: number): Promise<number>
  countdown(from: number): AsyncIterable<number>
  remindMe(seconds: number, text: string): Promise<string>
  onReminder(listener: (reminder: { text: string; at: Date }) => void): () => void
}

function pingPong(): PingPong {
  const api = (globalThis as unknown as { pingPong?: PingPong }).pingPong
  if (!api) throw new Error('The ping-pong background did not define globalThis.pingPong; did it load first?')
  return api
}

serveScenarios({
  examplePing: () => pingPong().ping(),
  exampleGreet: async (name: string) => {
    const { text, at } = await pingPong().greet(name)
    return { text, atIsDate: at instanceof Date }
  },
  exampleDivide: async (a: number, b: number) => {
    try {
      return { value: await pingPong().divide(a, b) }
    } catch (err) {
      const e = err as Error & { code?: string }
      return { error: { name: e.name, code: e.code ?? null, message: e.message } }
    }
  },
  exampleCountdown: async (from: number) => {
    const seen: number[] = []
    for await (const n of pingPong().countdown(from)) seen.push(n)
    return seen
  },
  exampleRemind: async (text: string) => {
    const api = pingPong()
    const heard = new Promise<{ text: string; at: Date }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reminder event from the host within 10 s')), 10_000)
      const stop = api.onReminder((reminder) => {
        clearTimeout(timer)
        stop()
        resolve(reminder)
      })
    })
    const answer = await api.remindMe(0.2, text)
    const reminder = await heard
    return { answer, text: reminder.text, atIsDate: reminder.at instanceof Date }
  },
})
