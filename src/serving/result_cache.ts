/** Per-user answers kept until that user's next event or the next model switch (bounded, least recently used out). */

/** An LRU map of answers, indexed by user so one user's entries can be dropped at once. */
export class ResultCache<V> {
  readonly #max: number;
  readonly #entries = new Map<string, { user: number; value: V }>();
  readonly #byUser = new Map<number, Set<string>>();

  /** Keeps at most `maxEntries` answers (default 50,000). */
  constructor(options: { maxEntries?: number } = {}) {
    this.#max = options.maxEntries ?? 50_000;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The answer for `user` under `key`, refreshed as most recently used. */
  get(user: number, key: string): V | undefined {
    const id = `${user}|${key}`;
    const e = this.#entries.get(id);
    if (!e) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, e);
    return e.value;
  }

  /** Stores `entry.value` for `user` under `entry.key`. */
  set(user: number, entry: { key: string; value: V }): void {
    const { key, value } = entry;
    const id = `${user}|${key}`;
    this.#entries.delete(id);
    this.#entries.set(id, { user, value });
    let keys = this.#byUser.get(user);
    if (!keys) this.#byUser.set(user, keys = new Set());
    keys.add(id);
    while (this.#entries.size > this.#max) {
      const [oldest, e] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      this.#byUser.get(e.user)?.delete(oldest);
    }
  }

  /** Forgets every answer for `user` (their history changed). */
  dropUser(user: number): void {
    for (const id of this.#byUser.get(user) ?? []) this.#entries.delete(id);
    this.#byUser.delete(user);
  }

  /** Forgets everything (the model changed). */
  clear(): void {
    this.#entries.clear();
    this.#byUser.clear();
  }
}
