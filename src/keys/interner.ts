/**
 * Shares one immutable value among the many cache entries that would otherwise each hold an equal copy (the same
 * scope list, the same client). Bounded: past `capacity` distinct texts it starts over, which only costs sharing.
 */
export class Interner<T> {
  private readonly values = new Map<string, T>()

  constructor(private readonly capacity = 10_000) {}

  get(text: string, make: () => T): T {
    let value = this.values.get(text)
    if (value === undefined) {
      if (this.values.size >= this.capacity) this.values.clear()
      value = deepFreeze(make())
      this.values.set(text, value)
    }
    return value
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
