/**
 * Flink's window table functions in FROM, which the parser's grammar cannot read:
 *   FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(event_time), INTERVAL '1' MINUTE)) [AS] e
 *   FROM TABLE(HOP(TABLE t, DESCRIPTOR(event_time), INTERVAL <slide>, INTERVAL <size>)) e
 *   FROM TABLE(CUMULATE(TABLE t, DESCRIPTOR(event_time), INTERVAL <step>, INTERVAL <max size>)) e
 * and the named-argument form (`DATA => TABLE t, TIMECOL => DESCRIPTOR(event_time), SIZE => …`,
 * SLIDE, STEP). Each call is read here and blanked out of the text the parser reads but for the
 * table's name, at its own offset, so the statement reads `FROM t e` with every position kept; the
 * statement (from.ts) takes the window from it. SESSION and the legacy `GROUP BY TUMBLE(…)` are
 * refused, naming the form to write. shared/definitions/window.ts says what the windows are.
 */
import { type Window, windowProblem } from '../../definitions/window.ts';

/** A window table function in the text: where, over which table, and its window. */
export interface WindowCall {
  /** Where `TABLE(` starts, and where the call ends (after its closing parenthesis). */
  at: number;
  end: number;
  /** The table argument's name, and where it is. */
  table: string;
  tableAt: number;
  window: Window;
}

/** A mistake in a window call: the problem, the identifier and where it is. */
export interface WindowMistake {
  problem: string;
  identifier: string;
  at: number;
}

const UNITS: Record<string, number> = {
  MILLISECOND: 1,
  SECOND: 1_000,
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
};

/** The time attribute DESCRIPTOR names: the envelope's time, Flink's `event_time` column. */
export const TIME_ATTRIBUTE = 'event_time';

const CALL = /(?<![\w$])TABLE\s*\(\s*(TUMBLE|HOP|CUMULATE|SESSION)\s*\(/gi;
const LEGACY = /(?<![\w$])GROUP\s+BY\s[^;]*?(?<![\w$])(TUMBLE|HOP|SESSION)\s*\(/i;

/**
 * The window calls of a SQL text (`masked`: comments and strings blanked, same offsets as `raw`),
 * or the first mistake in one.
 */
export function readWindows(raw: string, masked: string): WindowCall[] | WindowMistake {
  const calls: WindowCall[] = [];
  const legacy = LEGACY.exec(masked);
  for (const match of masked.matchAll(CALL)) {
    if (legacy && legacy.index < match.index) break;
    const kind = match[1]!.toUpperCase();
    const nameAt = match.index + match[0].lastIndexOf(match[1]!);
    if (kind === 'SESSION') {
      return {
        problem:
          'unsupported: the window table function SESSION (a session window merges with the events around it, which no single event can merge exactly once); use TUMBLE or HOP',
        identifier: match[1]!,
        at: nameAt,
      };
    }
    const innerOpen = match.index + match[0].length - 1;
    const innerClose = closing(masked, innerOpen);
    const outerClose =
      innerClose === undefined ? undefined : closing(masked, masked.indexOf('(', match.index));
    if (innerClose === undefined || outerClose === undefined) {
      return { problem: `parse error: ${kind}(…) is not closed`, identifier: match[1]!, at: nameAt };
    }
    const call = readCall(raw, masked, kind as Window['kind'], innerOpen + 1, innerClose, nameAt);
    if ('problem' in call) return call;
    calls.push({ ...call, at: match.index, end: outerClose + 1 });
  }
  if (legacy) {
    const name = legacy[1]!.toUpperCase();
    const tvf = name === 'SESSION' ? 'TUMBLE' : name;
    return {
      problem: `unsupported: GROUP BY ${name}(…), Flink's legacy group window; write the window table function FROM TABLE(${tvf}(TABLE <event type>, DESCRIPTOR(event_time), INTERVAL …)) e … GROUP BY window_start, window_end, …`,
      identifier: legacy[1]!,
      at: legacy.index + legacy[0].lastIndexOf(legacy[1]!),
    };
  }
  return calls;
}

/** The offset of the parenthesis closing the one at `open`. */
function closing(masked: string, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < masked.length; i++) {
    if (masked[i] === '(') depth++;
    else if (masked[i] === ')' && --depth === 0) return i;
    else if (masked[i] === ';') return undefined;
  }
  return undefined;
}

/** The arguments between `from` and `to`, split at top-level commas, each with its offset. */
function argumentsOf(masked: string, from: number, to: number): Array<{ at: number; text: string }> {
  const args: Array<{ at: number; text: string }> = [];
  let depth = 0;
  let start = from;
  for (let i = from; i <= to; i++) {
    const c = masked[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (i === to || (c === ',' && depth === 0)) {
      const text = masked.slice(start, i);
      const lead = text.search(/\S/);
      args.push({ at: lead < 0 ? start : start + lead, text: text.trim() });
      start = i + 1;
    }
  }
  return args;
}

const NAMES = {
  TUMBLE: ['DATA', 'TIMECOL', 'SIZE'],
  HOP: ['DATA', 'TIMECOL', 'SLIDE', 'SIZE'],
  CUMULATE: ['DATA', 'TIMECOL', 'STEP', 'SIZE'],
} as const;

/** One call's arguments: TABLE t, DESCRIPTOR(event_time), the intervals (positional or named). */
function readCall(
  raw: string,
  masked: string,
  kind: Window['kind'],
  from: number,
  to: number,
  nameAt: number,
): Omit<WindowCall, 'at' | 'end'> | WindowMistake {
  const names: readonly string[] = NAMES[kind];
  const given = new Map<string, { at: number; text: string }>();
  for (const [i, arg] of argumentsOf(masked, from, to).entries()) {
    const named = /^([A-Za-z_]+)\s*=>\s*/.exec(arg.text);
    const name = named ? named[1]!.toUpperCase() : names[i];
    if (!name || !names.includes(name) || given.has(name)) {
      const what =
        name === 'OFFSET' || (!named && i === names.length)
          ? 'an offset (windows are aligned to the epoch, UTC)'
          : `argument ${named?.[1] ?? i + 1}`;
      return {
        problem: `unsupported: ${what} in ${kind}; its arguments are ${names.join(', ')}`,
        identifier: named?.[1] ?? arg.text.split(/\s/)[0]!,
        at: arg.at,
      };
    }
    const skip = named ? named[0].length : 0;
    given.set(name, { at: arg.at + skip, text: arg.text.slice(skip) });
  }
  const missing = names.find((n) => !given.has(n));
  if (missing)
    return {
      problem: `${kind} needs its ${missing} argument (${names.join(', ')})`,
      identifier: kind,
      at: nameAt,
    };
  const data = given.get('DATA')!;
  const table = /^TABLE\s+("?)([\w$]+)\1$/i.exec(data.text);
  if (!table)
    return {
      problem: `${kind}'s first argument is TABLE <event type>`,
      identifier: data.text.split(/\s/)[0] ?? '',
      at: data.at,
    };
  const time = given.get('TIMECOL')!;
  const descriptor = /^DESCRIPTOR\s*\(\s*("?)([\w$]+)\1\s*\)$/i.exec(time.text);
  if (!descriptor || descriptor[2] !== TIME_ATTRIBUTE) {
    const column = descriptor?.[2] ?? time.text;
    return {
      problem: `${kind}'s time attribute is DESCRIPTOR(${TIME_ATTRIBUTE}), the event's own time (the envelope's timestamp); there is no other time attribute`,
      identifier: column,
      at: descriptor ? time.at + time.text.indexOf(column) : time.at,
    };
  }
  const ms = (name: string): number | WindowMistake => {
    const arg = given.get(name)!;
    const text = raw.slice(arg.at, arg.at + arg.text.length);
    const interval = /^INTERVAL\s+'\s*(\d+)\s*'\s+(MILLISECOND|SECOND|MINUTE|HOUR|DAY)S?$/i.exec(text);
    if (!interval) {
      return {
        problem: `${kind}'s ${name} is INTERVAL '<n>' MILLISECOND, SECOND, MINUTE, HOUR or DAY`,
        identifier: text.split(/\s/)[0] ?? name,
        at: arg.at,
      };
    }
    return Number(interval[1]) * UNITS[interval[2]!.toUpperCase().replace(/S$/, '')]!;
  };
  const sizes = names.slice(2).map(ms);
  const wrong = sizes.find((s): s is WindowMistake => typeof s !== 'number');
  if (wrong) return wrong;
  const [first, second] = sizes as number[];
  const window: Window =
    kind === 'TUMBLE'
      ? { kind, size: first! }
      : kind === 'HOP'
        ? { kind, slide: first!, size: second! }
        : { kind, step: first!, size: second! };
  const problem = windowProblem(window);
  if (problem) return { problem, identifier: kind, at: nameAt };
  return { table: table[2]!, tableAt: data.at + data.text.lastIndexOf(table[2]!), window };
}
