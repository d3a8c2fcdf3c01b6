/**
 * The warm-container dimension cache (docs/architecture.md): module-scope state that survives across
 * invocations of a warm Lambda container. Per dimension table:
 *  - PARTIAL mode (Flink's lookup.cache PARTIAL): entries expire `ttlMs` after they were loaded;
 *    within a further `staleMs` a stale entry is served at once and refreshed in the background
 *    (stale-while-revalidate); absent keys are cached too, for `negativeTtlMs` (cache-missing-key);
 *    at most `maxEntries`, least recently used evicted first;
 *  - FULL mode (`preload`): the whole table is loaded once and reloaded every `reloadMs`, the old
 *    copy served meanwhile; a key not in it is absent without a query;
 *  - every key missing from one `getMany` call is loaded with one query, and concurrent callers
 *    asking for a key already being loaded wait for that load (single flight).
 */

export interface DimensionCacheSettings {
  ttlMs: number;
  staleMs: number;
  negativeTtlMs: number;
  maxEntries: number;
  preload: boolean;
  reloadMs: number;
}

const DEFAULT_CACHE_SETTINGS: DimensionCacheSettings = {
  ttlMs: 60_000,
  staleMs: 300_000,
  negativeTtlMs: 10_000,
  maxEntries: 50_000,
  preload: false,
  reloadMs: 300_000,
};

export interface DimensionLoader<V> {
  /** Loads the rows of these keys; keys without a row are left out. */
  load(keys: readonly string[]): Promise<Map<string, V>>;
  /** Loads the whole table (FULL mode). */
  loadAll(): Promise<Map<string, V>>;
}

export interface CacheStats {
  hits: number;
  staleHits: number;
  misses: number;
  /** Keys found absent (in the table or in the negative cache). */
  absent: number;
  /** Queries sent to the database. */
  loads: number;
  /** Entries dropped to stay within maxEntries. */
  evictions: number;
}

interface Entry<V> {
  value: V | null;
  loadedAt: number;
}

export class DimensionCache<V> {
  readonly name: string;
  readonly #loader: DimensionLoader<V>;
  readonly #settings: DimensionCacheSettings;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry<V>>();
  readonly #inflight = new Map<string, Promise<V | null>>();
  #full: { rows: Map<string, V>; loadedAt: number } | undefined;
  #fullLoad: Promise<void> | undefined;
  #stats: CacheStats = emptyStats();
  /** Errors of background refreshes, for the caller to log. */
  onBackgroundError: (error: unknown) => void = () => {};

  constructor(
    name: string,
    loader: DimensionLoader<V>,
    settings: Partial<DimensionCacheSettings> = {},
    now = Date.now,
  ) {
    this.name = name;
    this.#loader = loader;
    this.#settings = { ...DEFAULT_CACHE_SETTINGS, ...settings };
    // A TTL of 0 means no caching: nothing is ever fresh, so nothing may be served stale either.
    if (this.#settings.ttlMs === 0) this.#settings.staleMs = 0;
    this.#now = now;
  }

  /** Values of `keys`; `null` for a key with no row (enrichment is a left join). */
  async getMany(keys: Iterable<string>): Promise<Map<string, V | null>> {
    const wanted = [...new Set(keys)];
    if (this.#settings.preload) return this.#getFromFull(wanted);

    const result = new Map<string, V | null>();
    const waiting: Array<Promise<void>> = [];
    const toLoad: string[] = [];
    const toRefresh: string[] = [];
    const now = this.#now();
    for (const key of wanted) {
      const entry = this.#entries.get(key);
      const age = entry ? now - entry.loadedAt : Number.POSITIVE_INFINITY;
      const absent = entry?.value === null;
      const ttl = absent ? this.#settings.negativeTtlMs : this.#settings.ttlMs;
      // An absence is never served stale: its short TTL exists so a row inserted since is seen soon.
      const stale = absent ? 0 : this.#settings.staleMs;
      if (entry && age < ttl) {
        this.#touch(key, entry);
        this.#count(entry.value, 'hits');
        result.set(key, entry.value);
      } else if (entry && age < ttl + stale) {
        this.#touch(key, entry);
        this.#count(entry.value, 'staleHits');
        result.set(key, entry.value);
        if (!this.#inflight.has(key)) toRefresh.push(key);
      } else {
        this.#stats.misses++;
        const pending = this.#inflight.get(key);
        if (pending) {
          waiting.push(pending.then((value) => void result.set(key, value)));
        } else {
          toLoad.push(key);
        }
      }
    }
    if (toRefresh.length > 0) {
      this.#loadKeys(toRefresh).catch((error: unknown) => this.onBackgroundError(error));
    }
    if (toLoad.length > 0) {
      waiting.push(
        this.#loadKeys(toLoad).then((loaded) => {
          for (const key of toLoad) result.set(key, loaded.get(key) ?? null);
        }),
      );
    }
    await Promise.all(waiting);
    for (const value of result.values()) if (value === null) this.#stats.absent++;
    return result;
  }

  /** Counters since the last call (a handler reports them per batch). */
  takeStats(): CacheStats {
    const stats = this.#stats;
    this.#stats = emptyStats();
    return stats;
  }

  get size(): number {
    return this.#full ? this.#full.rows.size : this.#entries.size;
  }

  /** One query for `keys`; registers each key as in flight until it is stored. */
  #loadKeys(keys: string[]): Promise<Map<string, V | null>> {
    this.#stats.loads++;
    // A loader throwing synchronously must fail this load, not the caller serving stale rows.
    const load = new Promise<Map<string, V>>((resolve) => resolve(this.#loader.load(keys))).then((rows) => {
      const loadedAt = this.#now();
      const out = new Map<string, V | null>();
      for (const key of keys) {
        const value = rows.get(key) ?? null;
        this.#store(key, { value, loadedAt });
        out.set(key, value);
      }
      return out;
    });
    const settled = load.finally(() => {
      for (const key of keys) this.#inflight.delete(key);
    });
    for (const key of keys) {
      this.#inflight.set(
        key,
        settled.then((out) => out.get(key) ?? null),
      );
    }
    // The per-key promises are awaited only by concurrent callers; keep a failure from being unhandled.
    for (const key of keys) this.#inflight.get(key)?.catch(() => {});
    return settled;
  }

  async #getFromFull(keys: string[]): Promise<Map<string, V | null>> {
    const now = this.#now();
    if (!this.#full) {
      this.#stats.misses += keys.length;
      await this.#reloadFull();
    } else if (now - this.#full.loadedAt >= this.#settings.reloadMs && !this.#fullLoad) {
      this.#reloadFull().catch((error: unknown) => this.onBackgroundError(error));
    }
    const rows = this.#full!.rows;
    const result = new Map<string, V | null>();
    for (const key of keys) {
      const value = rows.get(key) ?? null;
      if (value === null) this.#stats.absent++;
      else this.#stats.hits++;
      result.set(key, value);
    }
    return result;
  }

  #reloadFull(): Promise<void> {
    // The new copy is installed inside the shared load, so no caller sees the load finished while
    // the old copy (and its old load time) is still in place and starts another reload.
    this.#fullLoad ??= (async () => {
      this.#stats.loads++;
      const rows = await this.#loader.loadAll();
      this.#full = { rows, loadedAt: this.#now() };
    })().finally(() => {
      this.#fullLoad = undefined;
    });
    return this.#fullLoad;
  }

  #count(value: V | null, kind: 'hits' | 'staleHits'): void {
    if (value !== null) this.#stats[kind]++;
  }

  #touch(key: string, entry: Entry<V>): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
  }

  #store(key: string, entry: Entry<V>): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#settings.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      this.#stats.evictions++;
    }
  }
}

function emptyStats(): CacheStats {
  return { hits: 0, staleHits: 0, misses: 0, absent: 0, loads: 0, evictions: 0 };
}
