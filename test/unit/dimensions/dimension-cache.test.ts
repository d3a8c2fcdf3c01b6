/** The warm-container dimension cache, driven with a fake clock and a fake loader. */
import { describe, expect, it } from 'vitest';
import {
  type CacheStats,
  DimensionCache,
  type DimensionCacheSettings,
  type DimensionLoader,
} from '../../../shared/dimensions/dimension-cache.ts';

interface Row {
  name: string;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A loader over an in-memory table that records every query. `failNext` makes the next queries
 * fail; `block()` holds the next queries until the returned gate is opened.
 */
class FakeLoader implements DimensionLoader<Row> {
  readonly table = new Map<string, Row>();
  readonly loads: string[][] = [];
  loadAllCalls = 0;
  readonly failNext: Error[] = [];
  #gate: Deferred<void> | undefined;

  constructor(rows: Record<string, string> = {}) {
    for (const [key, name] of Object.entries(rows)) this.table.set(key, { name });
  }

  /** Holds every query from now on until the returned function is called. */
  block(): () => void {
    const gate = deferred<void>();
    this.#gate = gate;
    return () => {
      this.#gate = undefined;
      gate.resolve();
    };
  }

  async load(keys: readonly string[]): Promise<Map<string, Row>> {
    this.loads.push([...keys]);
    const failure = this.failNext.shift();
    await this.#gate?.promise;
    if (failure) throw failure;
    const out = new Map<string, Row>();
    for (const key of keys) {
      const row = this.table.get(key);
      if (row) out.set(key, { ...row });
    }
    return out;
  }

  async loadAll(): Promise<Map<string, Row>> {
    this.loadAllCalls++;
    const failure = this.failNext.shift();
    await this.#gate?.promise;
    if (failure) throw failure;
    return new Map([...this.table].map(([k, v]) => [k, { ...v }]));
  }
}

class FakeClock {
  t = 1_000_000;
  readonly now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

const SETTINGS: Partial<DimensionCacheSettings> = {
  ttlMs: 1_000,
  staleMs: 5_000,
  negativeTtlMs: 200,
  maxEntries: 100,
};

function setup(rows: Record<string, string> = {}, settings: Partial<DimensionCacheSettings> = SETTINGS) {
  const loader = new FakeLoader(rows);
  const clock = new FakeClock();
  const cache = new DimensionCache<Row>('user', loader, settings, clock.now);
  const backgroundErrors: unknown[] = [];
  cache.onBackgroundError = (error) => backgroundErrors.push(error);
  return { loader, clock, cache, backgroundErrors };
}

/** Lets every pending promise callback run (background refreshes settle on the fake loader). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

const names = (m: Map<string, Row | null>) =>
  Object.fromEntries([...m].map(([k, v]) => [k, v === null ? null : v.name]));

const stats = (overrides: Partial<CacheStats>): CacheStats => ({
  hits: 0,
  staleHits: 0,
  misses: 0,
  absent: 0,
  loads: 0,
  evictions: 0,
  ...overrides,
});

describe('DimensionCache, partial mode', () => {
  it('loads every miss of one getMany call with one query and answers absent keys with null', async () => {
    const { cache, loader } = setup({ u1: 'Ann', u2: 'Bob' });
    const result = await cache.getMany(['u1', 'u2', 'u3', 'u1']);
    expect(names(result)).toEqual({ u1: 'Ann', u2: 'Bob', u3: null });
    expect(loader.loads).toEqual([['u1', 'u2', 'u3']]);
    expect(cache.takeStats()).toEqual(stats({ misses: 3, absent: 1, loads: 1 }));
  });

  it('asks nothing for an empty key list', async () => {
    const { cache, loader } = setup({ u1: 'Ann' });
    expect((await cache.getMany([])).size).toBe(0);
    expect(loader.loads).toEqual([]);
  });

  it('serves fresh entries from memory, found and absent, within their TTL', async () => {
    const { cache, loader, clock } = setup({ u1: 'Ann' });
    await cache.getMany(['u1', 'u9']);
    cache.takeStats();
    clock.advance(199);
    expect(names(await cache.getMany(['u1', 'u9']))).toEqual({ u1: 'Ann', u9: null });
    expect(loader.loads).toHaveLength(1);
    expect(cache.takeStats()).toEqual(stats({ hits: 1, absent: 1 }));
  });

  it('takeStats resets the counters', async () => {
    const { cache } = setup({ u1: 'Ann' });
    await cache.getMany(['u1']);
    expect(cache.takeStats().loads).toBe(1);
    expect(cache.takeStats()).toEqual(stats({}));
  });

  describe('single flight', () => {
    it('N concurrent getMany calls for the same key cause one load', async () => {
      const { cache, loader } = setup({ u1: 'Ann' });
      const open = loader.block();
      const calls = Array.from({ length: 20 }, () => cache.getMany(['u1']));
      open();
      const results = await Promise.all(calls);
      for (const result of results) expect(names(result)).toEqual({ u1: 'Ann' });
      expect(loader.loads).toEqual([['u1']]);
      const s = cache.takeStats();
      expect(s.loads).toBe(1);
      expect(s.misses).toBe(20);
    });

    it('a concurrent call loads only the keys not already in flight, and waits for the rest', async () => {
      const { cache, loader } = setup({ u1: 'Ann', u2: 'Bob' });
      const open = loader.block();
      const first = cache.getMany(['u1']);
      const second = cache.getMany(['u1', 'u2']);
      open();
      expect(names(await first)).toEqual({ u1: 'Ann' });
      expect(names(await second)).toEqual({ u1: 'Ann', u2: 'Bob' });
      expect(loader.loads).toEqual([['u1'], ['u2']]);
    });

    it('a failed load fails every caller waiting for it, and the next call loads again', async () => {
      const { cache, loader } = setup({ u1: 'Ann' });
      loader.failNext.push(new Error('connection lost'));
      const open = loader.block();
      const calls = [cache.getMany(['u1']), cache.getMany(['u1'])];
      open();
      for (const call of calls) await expect(call).rejects.toThrow('connection lost');
      expect(names(await cache.getMany(['u1']))).toEqual({ u1: 'Ann' });
      expect(loader.loads).toEqual([['u1'], ['u1']]);
    });
  });

  describe('TTL and stale-while-revalidate', () => {
    it('serves a stale entry at once and refreshes it once in the background', async () => {
      const { cache, loader, clock } = setup({ u1: 'Ann' });
      await cache.getMany(['u1']);
      cache.takeStats();
      loader.table.set('u1', { name: 'Ann B.' });
      clock.advance(1_000); // exactly the TTL: stale

      const open = loader.block();
      expect(names(await cache.getMany(['u1']))).toEqual({ u1: 'Ann' });
      expect(names(await cache.getMany(['u1']))).toEqual({ u1: 'Ann' }); // refresh still in flight
      expect(loader.loads).toEqual([['u1'], ['u1']]);
      open();
      await settle();

      expect(names(await cache.getMany(['u1']))).toEqual({ u1: 'Ann B.' });
      expect(loader.loads).toHaveLength(2);
      expect(cache.takeStats()).toEqual(stats({ hits: 1, staleHits: 2, loads: 1 }));
    });

    it('a refreshed entry is fresh for a whole TTL from the refresh', async () => {
      const { cache, loader, clock } = setup({ u1: 'Ann' });
      await cache.getMany(['u1']);
      clock.advance(1_500);
      await cache.getMany(['u1']);
      await settle();
      clock.advance(999);
      await cache.getMany(['u1']);
      await settle();
      expect(loader.loads).toHaveLength(2);
    });

    it('a failed background refresh keeps serving the stale entry and reports the error', async () => {
      const { cache, loader, clock, backgroundErrors } = setup({ u1: 'Ann' });
      await cache.getMany(['u1']);
      clock.advance(2_000);
      loader.failNext.push(new Error('deadlock'));
      expect(names(await cache.getMany(['u1']))).toEqual({ u1: 'Ann' });
      await settle();
      expect(backgroundErrors).toEqual([new Error('deadlock')]);
      // Still stale, still served; the next call tries the refresh again.
      loader.table.set('u1', { name: 'Ann B.' });
      expect(names(await cache.getMany(['u1']))).toEqual({ u1: 'Ann' });
      await settle();
      expect(names(await cache.getMany(['u1']))).toEqual({ u1: 'Ann B.' });
      expect(loader.loads).toHaveLength(3);
    });

    it('a loader that throws synchronously in a background refresh still serves stale', async () => {
      const { cache, loader, clock, backgroundErrors } = setup({ u1: 'Ann' });
      await cache.getMany(['u1']);
      clock.advance(2_000);
      loader.load = () => {
        throw new Error('pool closed');
      };
      expect(names(await cache.getMany(['u1']))).toEqual({ u1: 'Ann' });
      await settle();
      expect(backgroundErrors).toEqual([new Error('pool closed')]);
    });

    it('an entry expired beyond its stale window blocks on a load', async () => {
      const { cache, loader, clock } = setup({ u1: 'Ann' });
      await cache.getMany(['u1']);
      cache.takeStats();
      loader.table.set('u1', { name: 'Ann B.' });
      clock.advance(1_000 + 5_000);
      const open = loader.block();
      let done = false;
      const call = cache.getMany(['u1']).then((r) => {
        done = true;
        return r;
      });
      await settle();
      expect(done).toBe(false);
      open();
      expect(names(await call)).toEqual({ u1: 'Ann B.' });
      expect(cache.takeStats()).toEqual(stats({ misses: 1, loads: 1 }));
    });

    it('a call with fresh, stale and missing keys answers fresh and stale at once and loads the missing', async () => {
      const { cache, loader, clock } = setup({ a: 'A', b: 'B', c: 'C' });
      await cache.getMany(['a']);
      clock.advance(600);
      await cache.getMany(['b']);
      clock.advance(600); // a stale, b fresh, c never seen
      cache.takeStats();
      loader.loads.length = 0;
      expect(names(await cache.getMany(['a', 'b', 'c']))).toEqual({ a: 'A', b: 'B', c: 'C' });
      await settle();
      expect(loader.loads).toEqual([['a'], ['c']]);
      expect(cache.takeStats()).toEqual(stats({ hits: 1, staleHits: 1, misses: 1, loads: 2 }));
    });
  });

  describe('negative caching', () => {
    it('absent keys are cached for negativeTtlMs, then looked up again before answering', async () => {
      const { cache, loader, clock } = setup({});
      expect(names(await cache.getMany(['u1']))).toEqual({ u1: null });
      clock.advance(199);
      expect(names(await cache.getMany(['u1']))).toEqual({ u1: null });
      expect(loader.loads).toHaveLength(1);

      // The row appears (a user registered just now); once the negative entry expires the next
      // event sees it, rather than being served the stale absence.
      loader.table.set('u1', { name: 'Ann' });
      clock.advance(1);
      expect(names(await cache.getMany(['u1']))).toEqual({ u1: 'Ann' });
      expect(loader.loads).toHaveLength(2);
    });

    it('negative entries count as absent, not as hits', async () => {
      const { cache } = setup({});
      await cache.getMany(['u1']);
      cache.takeStats();
      await cache.getMany(['u1']);
      expect(cache.takeStats()).toEqual(stats({ absent: 1 }));
    });

    it('found entries keep the full TTL when negativeTtlMs is shorter', async () => {
      const { cache, loader, clock } = setup({ u1: 'Ann' });
      await cache.getMany(['u1']);
      clock.advance(500);
      await cache.getMany(['u1']);
      expect(loader.loads).toHaveLength(1);
    });
  });

  describe('LRU bound', () => {
    const small = { ...SETTINGS, maxEntries: 3 };

    it('evicts the least recently used entry when over maxEntries', async () => {
      const { cache, loader } = setup({ a: 'A', b: 'B', c: 'C', d: 'D' }, small);
      await cache.getMany(['a']);
      await cache.getMany(['b']);
      await cache.getMany(['c']);
      await cache.getMany(['a']); // a is now the most recently used; b the least
      cache.takeStats();
      await cache.getMany(['d']);
      expect(cache.size).toBe(3);
      expect(cache.takeStats()).toEqual(stats({ misses: 1, loads: 1, evictions: 1 }));
      loader.loads.length = 0;
      await cache.getMany(['a', 'c', 'd']);
      expect(loader.loads).toEqual([]);
      await cache.getMany(['b']);
      expect(loader.loads).toEqual([['b']]);
    });

    it('stays bounded when one load brings more keys than fit, yet answers them all', async () => {
      const rows = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, `K${i}`]));
      const { cache } = setup(rows, small);
      const result = await cache.getMany(Object.keys(rows));
      expect(names(result)).toEqual(rows);
      expect(cache.size).toBe(3);
      expect(cache.takeStats().evictions).toBe(7);
    });

    it('absent keys take space too and are evicted the same way', async () => {
      const { cache } = setup({}, small);
      await cache.getMany(['x1', 'x2', 'x3', 'x4']);
      expect(cache.size).toBe(3);
    });
  });
});

describe('DimensionCache, full mode (preload)', () => {
  const full = { ...SETTINGS, preload: true, reloadMs: 10_000 };

  it('loads the whole table once and answers absent keys without a query', async () => {
    const { cache, loader } = setup({ u1: 'Ann', u2: 'Bob' }, full);
    expect(names(await cache.getMany(['u1', 'u3']))).toEqual({ u1: 'Ann', u3: null });
    expect(names(await cache.getMany(['u2', 'u4']))).toEqual({ u2: 'Bob', u4: null });
    expect(loader.loadAllCalls).toBe(1);
    expect(loader.loads).toEqual([]);
    expect(cache.size).toBe(2);
    expect(cache.takeStats()).toEqual(stats({ misses: 2, hits: 2, absent: 2, loads: 1 }));
  });

  it('concurrent first calls share one full load', async () => {
    const { cache, loader } = setup({ u1: 'Ann' }, full);
    const open = loader.block();
    const calls = Array.from({ length: 5 }, () => cache.getMany(['u1']));
    open();
    for (const result of await Promise.all(calls)) expect(names(result)).toEqual({ u1: 'Ann' });
    expect(loader.loadAllCalls).toBe(1);
  });

  it('reloads after reloadMs in the background, serving the old copy meanwhile', async () => {
    const { cache, loader, clock } = setup({ u1: 'Ann' }, full);
    await cache.getMany(['u1']);
    loader.table.set('u1', { name: 'Ann B.' });
    loader.table.set('u2', { name: 'Bob' });
    clock.advance(9_999);
    await cache.getMany(['u1']);
    expect(loader.loadAllCalls).toBe(1);

    clock.advance(1);
    const open = loader.block();
    expect(names(await cache.getMany(['u1', 'u2']))).toEqual({ u1: 'Ann', u2: null });
    expect(names(await cache.getMany(['u1']))).toEqual({ u1: 'Ann' });
    expect(loader.loadAllCalls).toBe(2); // one reload, however many calls meanwhile
    open();
    await settle();
    expect(names(await cache.getMany(['u1', 'u2']))).toEqual({ u1: 'Ann B.', u2: 'Bob' });
    expect(loader.loadAllCalls).toBe(2);
    expect(loader.loads).toEqual([]);
  });

  it('concurrent calls racing a finishing reload start no second reload', async () => {
    const { cache, loader, clock } = setup({ u1: 'Ann' }, full);
    await cache.getMany(['u1']);
    clock.advance(10_000);
    await Promise.all(Array.from({ length: 10 }, () => cache.getMany(['u1'])));
    await Promise.all(Array.from({ length: 10 }, () => cache.getMany(['u1'])));
    await settle();
    await Promise.all(Array.from({ length: 10 }, () => cache.getMany(['u1'])));
    expect(loader.loadAllCalls).toBe(2);
  });

  it('a failed reload keeps serving the old copy and reports the error', async () => {
    const { cache, loader, clock, backgroundErrors } = setup({ u1: 'Ann' }, full);
    await cache.getMany(['u1']);
    clock.advance(10_000);
    loader.failNext.push(new Error('timeout'));
    expect(names(await cache.getMany(['u1']))).toEqual({ u1: 'Ann' });
    await settle();
    expect(backgroundErrors).toEqual([new Error('timeout')]);
    expect(names(await cache.getMany(['u1']))).toEqual({ u1: 'Ann' });
  });

  it('a failed first load fails the call, and the next call tries again', async () => {
    const { cache, loader } = setup({ u1: 'Ann' }, full);
    loader.failNext.push(new Error('refused'));
    await expect(cache.getMany(['u1'])).rejects.toThrow('refused');
    expect(names(await cache.getMany(['u1']))).toEqual({ u1: 'Ann' });
    expect(loader.loadAllCalls).toBe(2);
  });
});
