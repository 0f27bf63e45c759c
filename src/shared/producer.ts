/** The sending end of a stream: how much credit it has, and whether the consumer has stopped it. */
export class Producer {
  cancelled = false
  #wake: (() => void) | null = null
  constructor(public credit: number) {}
  add(n: number): void {
    this.credit += n
    this.#wakeUp()
  }
  cancel(): void {
    this.cancelled = true
    this.#wakeUp()
  }
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve
    })
  }
  #wakeUp(): void {
    const w = this.#wake
    this.#wake = null
    w?.()
  }
}
