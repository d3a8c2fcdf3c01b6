/** An in-memory stand-in for the database side of a handler, for unit tests only. */
import type { ProductRow, UserRow } from '../../shared/domains/dimensions.ts';
import { DIMENSIONS } from '../../shared/domains/registry.ts';
import type { ApplyResult, BatchWrites } from '../../shared/pipeline/ports.ts';
import type { Runtime } from '../../shared/runtime/create-handler.ts';
import { deadLetterRow } from '../../shared/sink/dead-letter.ts';
import type { Row } from '../../shared/tables/table.ts';

export interface MemoryRuntime extends Runtime {
  /** Event rows by event id (first write wins, like the sink). */
  events: Map<string, Row>;
  deadLetters: Row[];
  applyCalls: BatchWrites[];
  /** Make the next apply calls fail with these errors, in order. */
  failNext: Error[];
  /** Make lookups fail with this error. */
  failLookups?: Error;
}

export function memoryRuntime(
  users: Record<string, UserRow> = {},
  products: Record<string, ProductRow> = {},
): MemoryRuntime {
  const runtime: MemoryRuntime = {
    events: new Map(),
    deadLetters: [],
    applyCalls: [],
    failNext: [],
    database: undefined as unknown as Runtime['database'],
    // Every declared dimension (a new one starts empty); users and products as given.
    dimensions: new Map<string, unknown>(
      DIMENSIONS.map(({ name }) => {
        const rows: Record<string, object> =
          name === 'dim_user' ? users : name === 'dim_product' ? products : {};
        return [name, cacheOf(name, rows, () => runtime.failLookups)];
      }),
    ) as unknown as Runtime['dimensions'],
    sink: {
      async apply(writes: BatchWrites): Promise<ApplyResult> {
        runtime.applyCalls.push(writes);
        const failure = runtime.failNext.shift();
        if (failure) throw failure;
        let applied = 0;
        let duplicates = 0;
        for (const w of writes.events) {
          if (runtime.events.has(w.eventId)) duplicates++;
          else {
            runtime.events.set(w.eventId, w.event.row);
            applied++;
          }
        }
        runtime.deadLetters.push(...writes.deadLetters.map((d) => deadLetterRow(d).row));
        return { applied, duplicates, deadLettered: writes.deadLetters.length };
      },
    },
  };
  return runtime;
}

function cacheOf<V>(name: string, rows: Record<string, V>, failure: () => Error | undefined) {
  return {
    name,
    async getMany(keys: Iterable<string>) {
      const error = failure();
      if (error) throw error;
      return new Map([...keys].map((k) => [k, rows[k] ?? null]));
    },
    takeStats: () => ({ hits: 0, staleHits: 0, misses: 0, absent: 0, loads: 0, evictions: 0 }),
  };
}

export const LOCAL_ENV = {
  DB_HOST: '127.0.0.1',
  DB_PORT: '3306',
  DB_USER: 'unit',
  DB_PASSWORD: 'unit-password',
  DB_NAME: 'unit',
};
