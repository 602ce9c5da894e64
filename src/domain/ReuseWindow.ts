/**
 * Values looked up recently, each reused until it is `reuseMs` old. Bounded: past `limit` keys the
 * oldest entry goes first. A period of 0 keeps nothing, so every use looks the value up again.
 */
export class ReuseWindow<V> {
  readonly #entries = new Map<string, { value: V; at: number }>();

  constructor(
    readonly reuseMs: number,
    private readonly limit = 10_000,
  ) {
    if (!(Number.isFinite(reuseMs) && reuseMs >= 0)) throw new RangeError(`a reuse period is 0 or more milliseconds, not ${reuseMs}`);
  }

  /** The value kept for `key`, if it was learnt less than the period before `now`. */
  get(key: string, now: number): V | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && now - entry.at < this.reuseMs ? entry.value : undefined;
  }

  /** Keeps `value` as learnt at `now`, replacing what was kept for `key`. */
  set(key: string, value: V, now: number): void {
    this.#entries.delete(key);
    if (this.reuseMs === 0) return;
    this.#entries.set(key, { value, at: now });
    if (this.#entries.size > this.limit) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
