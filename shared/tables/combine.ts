/**
 * Combining a state table's rows per key in the function, before they are sent: one row per key
 * with the effect of sending them one by one in order (the upsert's merges, shared/tables/table.ts
 * and dialect.ts). test/integration/combine-rows.test.ts proves the two agree on the real database
 * for every merge kind.
 */
import { orderKeyOf, ownOrderKey, type Row, type SqlValue, type Table } from './table.ts';

/** How combineRows merges a table's rows, worked out once per table. */
interface CombinePlan {
  /** Columns that add. */
  adds: string[];
  /** Columns that keep the least / greatest value. */
  extremes: Array<{ column: string; sign: 1 | -1 }>;
  /** Per order key: the columns that follow it, the key itself last; `oldest` for firstValue. */
  groups: Array<{ by: string; columns: string[]; oldest: boolean }>;
  /** [column, its order key] for every column that follows another one. */
  followers: Array<[string, string]>;
  /** [column, its own order key] for lastValue / firstValue columns: a NULL sends the key ''. */
  skipNulls: Array<[string, string]>;
}

const plans = new WeakMap<Table, CombinePlan>();

function planOf(table: Table): CombinePlan {
  let plan = plans.get(table);
  if (plan) return plan;
  const adds: string[] = [];
  const extremes: CombinePlan['extremes'] = [];
  const groups = new Map<string, { columns: string[]; oldest: boolean }>();
  const followers: Array<[string, string]> = [];
  const skipNulls: Array<[string, string]> = [];
  for (const [col, m] of Object.entries(table.merge)) {
    if (m === 'add') adds.push(col);
    if (m === 'min' || m === 'max') extremes.push({ column: col, sign: m === 'min' ? -1 : 1 });
    const by = orderKeyOf(m);
    if (!by) continue;
    if (ownOrderKey(m)) skipNulls.push([col, by]);
    if (by !== col) followers.push([col, by]);
    const group = groups.get(by) ?? { columns: [], oldest: typeof m === 'object' && 'firstValue' in m };
    if (by !== col) group.columns.push(col);
    groups.set(by, group);
  }
  plan = {
    adds,
    extremes,
    groups: [...groups].map(([by, { columns, oldest }]) => ({ by, columns: [...columns, by], oldest })),
    followers,
    skipNulls,
  };
  plans.set(table, plan);
  return plan;
}

/**
 * The rows of a state table as the sink sends them: a lastValue / firstValue column whose value is
 * NULL sends its order key '' (a NULL is skipped, as Flink's LAST_VALUE and FIRST_VALUE skip it);
 * a column that follows an order key the row does not set is left out too (its key, left to its
 * default '', never wins, so neither may the column — not even when the row is the first of its
 * key), and, for a `combinable` table, one row per key, merged here exactly as the upsert would
 * merge them in statement order:
 *   add: the sum (a column left out counts 0, its default); min / max: the least / greatest
 *   non-NULL value; newest/newestBy/lastValue: the row whose order key is greater (the first on a
 *   tie), for the key and every column it orders; firstValue: the row whose order key is less;
 *   columns without a merge: the first row's. A key's combined row sits where its first row was.
 */
export function combineRows(table: Table, rows: readonly Row[]): Row[] {
  const plan = planOf(table);
  if (!table.combinable) return rows.map((row) => withoutUnorderedColumns(plan, row));
  const single = table.key.length === 1 ? table.key[0]! : undefined;
  const byKey = new Map<string, Row>();
  // Rows made here, free to merge into; a key's only row is returned as it came (never changed).
  const own = new Set<Row>();
  for (const given of rows) {
    const row = withoutUnorderedColumns(plan, given);
    if (row !== given) own.add(row);
    const key = single ? keyText(row[single]) : table.key.map((k) => keyText(row[k])).join('\u0000');
    let combined = byKey.get(key);
    if (!combined) {
      byKey.set(key, row);
      continue;
    }
    if (!own.has(combined)) {
      combined = { ...combined };
      own.add(combined);
      byKey.set(key, combined);
    }
    mergeInto(plan, combined, row);
  }
  return [...byKey.values()];
}

/** A key column's value as text: a time to the millisecond (String(date) drops them). */
const keyText = (value: SqlValue | undefined) =>
  value instanceof Date ? value.toISOString() : String(value);

function withoutUnorderedColumns(plan: CombinePlan, row: Row): Row {
  let out: Row | undefined;
  for (const [col, by] of plan.skipNulls) {
    if ((row[col] === null || row[col] === undefined) && row[by]) {
      out ??= { ...row };
      out[by] = '';
    }
  }
  const current = out ?? row;
  for (const [col, by] of plan.followers) {
    if (current[col] !== undefined && !current[by]) {
      out ??= { ...row };
      delete out[col];
    }
  }
  return out ?? row;
}

/** Merges `b` into the combined row `a` of its key (a row that came before it). */
function mergeInto(plan: CombinePlan, a: Row, b: Row): void {
  for (const col of plan.adds) {
    const sum = add(a[col], b[col]);
    if (sum === undefined) delete a[col];
    else a[col] = sum;
  }
  for (const { column, sign } of plan.extremes) {
    const value = b[column];
    if (value === undefined || value === null) continue;
    const current = a[column];
    if (current === undefined || current === null || sign * compareValues(value, current) > 0) {
      a[column] = value;
    }
  }
  for (const { by, columns, oldest } of plan.groups) {
    const kb = b[by];
    const ka = a[by];
    if (typeof kb !== 'string' || kb === '') continue;
    // b's columns win only when its order key is strictly greater (less, oldest first; '' loses).
    const known = typeof ka === 'string' && ka !== '';
    if (oldest ? known && kb >= ka : typeof ka === 'string' && kb <= ka) continue;
    for (const col of columns) {
      if (b[col] === undefined) delete a[col];
      else a[col] = b[col];
    }
  }
}

/** How MySQL orders two non-NULL numbers or times: exact for decimals, by instant for times. */
function compareValues(a: SqlValue, b: SqlValue): number {
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime());
  const x = decimalUnits(String(a));
  const y = decimalUnits(String(b));
  if (!x || !y) return Math.sign(Number(a) - Number(b));
  const scale = Math.max(x.scale, y.scale);
  const d = x.units * 10n ** BigInt(scale - x.scale) - y.units * 10n ** BigInt(scale - y.scale);
  return d > 0n ? 1 : d < 0n ? -1 : 0;
}

/** A decimal number written as text, as an integer of units and its scale (undefined if not one). */
function decimalUnits(text: string): { units: bigint; scale: number } | undefined {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match || (!match[2] && !match[3])) return undefined;
  const frac = match[3] ?? '';
  const units = BigInt((match[2] || '0') + frac);
  return { units: match[1] === '-' ? -units : units, scale: frac.length };
}

/** a + b as MySQL adds them: NULL absorbs, a left-out value is the default 0, decimals exact. */
function add(a: SqlValue | undefined, b: SqlValue | undefined): SqlValue | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a === null || b === null) return null;
  // Most rows add 0 (an event another aggregate counts): the other value is the sum as it is.
  if (b === 0) return a;
  if (a === 0) return b;
  if (typeof a === 'string' || typeof b === 'string') return addDecimals(String(a), String(b));
  if (typeof a === 'bigint' || typeof b === 'bigint') return BigInt(a as number) + BigInt(b as number);
  const sum = (a as number) + (b as number);
  return Number.isSafeInteger(sum) || !Number.isInteger(sum)
    ? sum
    : BigInt(a as number) + BigInt(b as number);
}

/** Exact sum of two decimal numbers written as text ("-12.5", "3"). */
function addDecimals(a: string, b: string): string {
  const parse = (text: string) => {
    const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
    if (!match) throw new Error(`not a decimal number: ${text}`);
    return { sign: match[1] === '-' ? -1n : 1n, int: match[2] || '0', frac: match[3] ?? '' };
  };
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.frac.length, y.frac.length);
  const units = (n: typeof x) => n.sign * BigInt(n.int + n.frac.padEnd(scale, '0'));
  const sum = units(x) + units(y);
  const digits = (sum < 0n ? -sum : sum).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return sum < 0n ? `-${text}` : text;
}
