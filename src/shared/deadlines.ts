/** Something with a deadline: a call waiting for its reply, or for the next piece of it. */
export interface Timed {
  /** When it expires, in `performance.now()` ms; set by {@link Deadlines.arm}. */
  deadline: number
  /** The list it is in while armed (one list per timeout length), and its neighbours there. */
  tList: TimedList | undefined
  tPrev: Timed | undefined
  tNext: Timed | undefined
  /** Its deadline passed. */
  expire(): void
}

/** Items armed with the same timeout length, in deadline order (each is appended as it is armed). */
interface TimedList {
  ms: number
  head: Timed | undefined
  tail: Timed | undefined
}

const now = (): number => performance.now()

/**
 * The deadlines of one session's calls, on one timer. A `setTimeout` per call cost a client about 32k
 * instructions per small call (callgrind: the timer object, its list, `unref`, `clearTimeout`); here
 * arming is a clock read and a list append, and ending a call is an unlink.
 *
 * Items armed with the same length expire in the order they were armed, so each length keeps a list in
 * deadline order and the earliest deadline is at the head of one of them. The timer is armed for the
 * earliest deadline and left armed when calls end (no `clearTimeout` per call): when it fires it expires
 * what is due, and re-arms for the earliest left. So every item expires at its deadline, never before
 * (the clock is read again when the timer fires), and at most one timer is pending per session.
 *
 * @example
 * const deadlines = new Deadlines()
 * deadlines.arm(call, 30_000) // call.expire() runs in 30 s unless
 * deadlines.disarm(call) // comes first
 */
export class Deadlines {
  /** The lists by timeout length: one per length in use, and the last length's even when empty. */
  readonly #lists = new Map<number, TimedList>()
  /** The list of the last length armed (most calls of a session share one length). */
  #last: TimedList | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  /** The deadline the timer is armed for. */
  #timerAt = Number.POSITIVE_INFINITY
  readonly #fire = () => this.#expireDue()

  /** (Re-)arms `item` to expire `ms` from now; `ms` that is 0, negative or not finite: never. */
  arm(item: Timed, ms: number): void {
    if (item.tList) this.disarm(item)
    if (!(ms > 0 && ms < Number.POSITIVE_INFINITY)) return
    let list = this.#last
    if (list?.ms !== ms) {
      if (list && !list.head) this.#lists.delete(list.ms)
      list = this.#lists.get(ms)
      if (!list) {
        list = { ms, head: undefined, tail: undefined }
        this.#lists.set(ms, list)
      }
      this.#last = list
    }
    const at = now() + ms
    item.deadline = at
    item.tList = list
    item.tPrev = list.tail
    item.tNext = undefined
    if (list.tail) list.tail.tNext = item
    else list.head = item
    list.tail = item
    if (at < this.#timerAt) this.#schedule(at)
  }

  /** Takes `item` off its deadline (it ended, or waits without one now). */
  disarm(item: Timed): void {
    const list = item.tList
    if (!list) return
    if (item.tPrev) item.tPrev.tNext = item.tNext
    else list.head = item.tNext
    if (item.tNext) item.tNext.tPrev = item.tPrev
    else list.tail = item.tPrev
    item.tList = item.tPrev = item.tNext = undefined
    // The last length's list stays while empty: one call at a time would otherwise make and drop a list
    // per call. Any other empty list goes, so at most one empty list is kept however many lengths are used.
    if (!list.head && this.#last !== list) this.#lists.delete(list.ms)
  }

  /** @internal How many lists it holds (tests: it never keeps more than one empty). */
  get lists(): number {
    return this.#lists.size
  }

  /** Stops the timer (the session closed; its calls were failed and disarmed). */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#timerAt = Number.POSITIVE_INFINITY
  }

  #schedule(at: number): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timerAt = at
    // Whole ms, rounded up: a timer may fire a little early by this clock, and then simply re-arms.
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(at - now())))
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  #expireDue(): void {
    this.#timer = undefined
    this.#timerAt = Number.POSITIVE_INFINITY
    const t = now()
    const due: Timed[] = []
    let next = Number.POSITIVE_INFINITY
    for (const list of this.#lists.values()) {
      while (list.head && list.head.deadline <= t) {
        due.push(list.head)
        this.disarm(list.head)
      }
      if (list.head && list.head.deadline < next) next = list.head.deadline
    }
    if (next < Number.POSITIVE_INFINITY) this.#schedule(next)
    if (due.length > 1) due.sort((a, b) => a.deadline - b.deadline)
    for (const item of due) item.expire()
  }
}
