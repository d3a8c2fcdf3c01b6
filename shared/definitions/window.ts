/**
 * Windows of a state mapping (SQL: Flink's window table functions, `FROM TABLE(TUMBLE(TABLE t,
 * DESCRIPTOR(event_time), INTERVAL '1' MINUTE))`, HOP, CUMULATE): which windows an event's time falls
 * in. The time is the envelope's timestamp (epoch ms, UTC); windows are aligned to the epoch, as
 * Flink aligns them (offset 0). Each window is a row of the state table, its `window_start` /
 * `window_end` key columns fed by the `{ window: 'start' | 'end' }` sources; an event merges once
 * into each of its windows (shared/pipeline/declarative-state.ts). There is no watermark: a late
 * event is merged into its windows however late, unless the table declares a lateness bound
 * (shared/pipeline/lateness.ts); a duplicate is absorbed by its event id (docs/sql.md).
 */

/** A window table function: its kind and sizes in milliseconds. */
export type Window =
  /** TUMBLE(size): [k·size, (k+1)·size). */
  | { kind: 'TUMBLE'; size: number }
  /** HOP(slide, size): the windows [k·slide, k·slide + size) holding the time (size/slide of them). */
  | { kind: 'HOP'; size: number; slide: number }
  /** CUMULATE(step, max): [k·max, k·max + j·step) for j = 1 … max/step, those holding the time. */
  | { kind: 'CUMULATE'; size: number; step: number };

/** The window columns a state key may take from a window table function. */
export type WindowBound = 'start' | 'end';

/** A window of an event: [start, end) in epoch ms. */
export interface WindowSpan {
  start: number;
  end: number;
}

/** Why a window's sizes are refused (a size is not a positive whole number of ms, …), or undefined. */
export function windowProblem(w: Window): string | undefined {
  const whole = (ms: number) => Number.isSafeInteger(ms) && ms > 0;
  if (!whole(w.size)) return `${w.kind}'s size must be a positive whole number of milliseconds`;
  if (w.kind === 'HOP') {
    if (!whole(w.slide)) return 'HOP’s slide must be a positive whole number of milliseconds';
    if (w.size % w.slide !== 0)
      return `HOP's size (${w.size} ms) must be a whole multiple of its slide (${w.slide} ms)`;
  }
  if (w.kind === 'CUMULATE') {
    if (!whole(w.step)) return 'CUMULATE’s step must be a positive whole number of milliseconds';
    if (w.size % w.step !== 0)
      return `CUMULATE's max size (${w.size} ms) must be a whole multiple of its step (${w.step} ms)`;
  }
  return undefined;
}

/** The start of the window of `size` holding `time`, aligned to the epoch (floor, also before 1970). */
const floorTo = (time: number, size: number) => time - (((time % size) + size) % size);

/** The windows holding `time` (epoch ms), oldest start first, then shortest. */
export function windowsOf(w: Window, time: number): WindowSpan[] {
  switch (w.kind) {
    case 'TUMBLE': {
      const start = floorTo(time, w.size);
      return [{ start, end: start + w.size }];
    }
    case 'HOP': {
      const spans: WindowSpan[] = [];
      // The latest window holding the time starts at its slide's floor; each earlier one a slide before.
      for (let start = floorTo(time, w.slide) - w.size + w.slide; start <= time; start += w.slide) {
        if (start + w.size > time) spans.push({ start, end: start + w.size });
      }
      return spans;
    }
    case 'CUMULATE': {
      const start = floorTo(time, w.size);
      const spans: WindowSpan[] = [];
      for (let end = floorTo(time, w.step) + w.step; end <= start + w.size; end += w.step) {
        spans.push({ start, end });
      }
      return spans;
    }
  }
}

/** How a window reads in messages: `TUMBLE(INTERVAL '1' MINUTE)`, in the largest whole unit. */
export function showWindow(w: Window): string {
  const units = [
    ['DAY', 86_400_000],
    ['HOUR', 3_600_000],
    ['MINUTE', 60_000],
    ['SECOND', 1_000],
  ] as const;
  const ms = (n: number) => {
    const [unit, size] = units.find(([, size]) => n % size === 0) ?? ['MILLISECOND', 1];
    return `INTERVAL '${n / size}' ${unit}`;
  };
  if (w.kind === 'TUMBLE') return `TUMBLE(${ms(w.size)})`;
  if (w.kind === 'HOP') return `HOP(${ms(w.slide)}, ${ms(w.size)})`;
  return `CUMULATE(${ms(w.step)}, ${ms(w.size)})`;
}
