/**
 * Time in the interpreter (../evaluate.ts): a TIMESTAMP(3) is epoch milliseconds, read and written
 * in UTC; timestamp text, Java SimpleDateFormat patterns (a subset), EXTRACT's units, and the time
 * functions.
 */
import { exact } from './numbers.ts';
import { constant, type Operation } from './values.ts';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

let timestampText: ((ms: number) => string) | undefined;
/** A TIMESTAMP(3) as CAST(… AS STRING) writes it: `2024-01-31 12:00:00.000`. */
export const TIMESTAMP_TEXT = (ms: number) => {
  timestampText ??= dateFormatter('yyyy-MM-dd HH:mm:ss.SSS')!;
  return timestampText(ms);
};

/** `yyyy-MM-dd[ HH:mm[:ss[.fff]]]` (or with `T`), read in UTC, as epoch milliseconds; NULL otherwise. */
export function parseTimestamp(text: string): number | null {
  const match =
    /^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*$/.exec(text);
  if (!match) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', f = ''] = match;
  const ms = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s),
    Number(f.padEnd(3, '0').slice(0, 3)),
  );
  const date = new Date(ms);
  if (date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d) || Number(h) > 23) return null;
  return ms;
}

const FORMAT_LETTERS: Record<string, (d: Date, width: number) => string> = {
  y: (d, w) => (w === 2 ? pad(d.getUTCFullYear() % 100) : pad(d.getUTCFullYear(), w)),
  M: (d, w) => pad(d.getUTCMonth() + 1, w),
  d: (d, w) => pad(d.getUTCDate(), w),
  H: (d, w) => pad(d.getUTCHours(), w),
  m: (d, w) => pad(d.getUTCMinutes(), w),
  s: (d, w) => pad(d.getUTCSeconds(), w),
  S: (d, w) => pad(d.getUTCMilliseconds(), 3).slice(0, Math.max(w, 1)).padEnd(w, '0'),
};

/** The letters a date format may use (Java SimpleDateFormat's subset), for definition-time checks. */
export const DATE_FORMAT_LETTERS = Object.keys(FORMAT_LETTERS);

/** A formatter for a Java SimpleDateFormat pattern; undefined when the pattern uses other letters. */
export function dateFormatter(pattern: string): ((ms: number) => string) | undefined {
  const parts: Array<string | { letter: string; width: number }> = [];
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) return undefined;
      parts.push(end === i + 1 ? "'" : pattern.slice(i + 1, end));
      i = end + 1;
    } else if (/[A-Za-z]/.test(c)) {
      if (!FORMAT_LETTERS[c]) return undefined;
      let j = i;
      while (pattern[j] === c) j++;
      parts.push({ letter: c, width: j - i });
      i = j;
    } else {
      parts.push(c);
      i++;
    }
  }
  return (ms) => {
    const date = new Date(ms);
    return parts.map((p) => (typeof p === 'string' ? p : FORMAT_LETTERS[p.letter]!(date, p.width))).join('');
  };
}

/** The time units EXTRACT reads. */
export const EXTRACT_UNITS = [
  'YEAR',
  'QUARTER',
  'MONTH',
  'WEEK',
  'DAY',
  'DAYOFMONTH',
  'DAYOFWEEK',
  'DAYOFYEAR',
  'HOUR',
  'MINUTE',
  'SECOND',
  'MILLISECOND',
] as const;

function extractField(unit: string, ms: number): number {
  const d = new Date(ms);
  switch (unit) {
    case 'YEAR':
      return d.getUTCFullYear();
    case 'QUARTER':
      return Math.floor(d.getUTCMonth() / 3) + 1;
    case 'MONTH':
      return d.getUTCMonth() + 1;
    case 'DAY':
    case 'DAYOFMONTH':
      return d.getUTCDate();
    case 'DAYOFWEEK':
      return d.getUTCDay() + 1; // 1 = Sunday … 7 = Saturday, as Flink
    case 'DAYOFYEAR':
      return Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
    case 'WEEK': {
      // ISO 8601 week of the year, as Flink's EXTRACT(WEEK …).
      const day = (d.getUTCDay() + 6) % 7;
      const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3);
      const firstThursday = new Date(thursday);
      const yearStart = Date.UTC(firstThursday.getUTCFullYear(), 0, 1);
      return Math.floor((thursday - yearStart) / 86_400_000 / 7) + 1;
    }
    case 'HOUR':
      return d.getUTCHours();
    case 'MINUTE':
      return d.getUTCMinutes();
    case 'SECOND':
      return d.getUTCSeconds();
    case 'MILLISECOND':
      return d.getUTCMilliseconds();
    default:
      return Number.NaN;
  }
}

/** The time functions: TO_TIMESTAMP_LTZ, FROM_UNIXTIME, DATE_FORMAT, EXTRACT. */
export const TIME_OPERATIONS: Record<string, Operation> = {
  /** TO_TIMESTAMP_LTZ(n, precision): n seconds (precision 0) or milliseconds (3) since the epoch. */
  toTimestampLtz: ([n, p], _node, [x]) => {
    const t = x!.t;
    return (context) => {
      const value = n!(context);
      const precision = p!(context);
      if (value === null || precision === null) return null;
      const unit = Number(precision as bigint) === 0 ? 1000 : 1;
      const ms = t.type === 'DOUBLE' ? (value as number) * unit : Number(exact(value, t, 0)) * unit;
      return Number.isFinite(ms) ? Math.trunc(ms) : null;
    };
  },
  /** FROM_UNIXTIME(seconds[, format]): the time as text, 'yyyy-MM-dd HH:mm:ss' by default (UTC). */
  fromUnixtime: ([n, f], _node, [x, format]) => {
    const t = x!.t;
    const fixed = constant(format);
    const prepared = dateFormatter(typeof fixed === 'string' ? fixed : 'yyyy-MM-dd HH:mm:ss');
    return (context) => {
      const value = n!(context);
      if (value === null) return null;
      let formatter = prepared;
      if (f && fixed === undefined) {
        const text = f(context);
        if (text === null) return null;
        formatter = dateFormatter(text as string);
      }
      if (!formatter) return null;
      return formatter(Number(exact(value, t, 0)) * 1000);
    };
  },
  /** DATE_FORMAT(timestamp, format): Java SimpleDateFormat letters (yyyy MM dd HH mm ss SSS …), UTC. */
  dateFormat: ([ts, f], _node, [, format]) => {
    const fixed = constant(format);
    const prepared = typeof fixed === 'string' ? dateFormatter(fixed) : undefined;
    return (context) => {
      const ms = ts!(context);
      if (ms === null) return null;
      let formatter = prepared;
      if (!formatter) {
        const text = f!(context);
        if (text === null) return null;
        formatter = dateFormatter(text as string);
        if (!formatter) return null;
      }
      return formatter(ms as number);
    };
  },
  /** EXTRACT(unit FROM timestamp), YEAR(…), HOUR(…), …: BIGINT, in UTC. */
  extract:
    ([u, ts]) =>
    (context) => {
      const unit = u!(context) as string;
      const ms = ts!(context);
      if (ms === null) return null;
      return BigInt(extractField(unit, ms as number));
    },
};
