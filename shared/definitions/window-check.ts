/**
 * The checks of a windowed state mapping (check-state.ts checks the rest; window.ts says what the
 * windows are): its sizes, its key naming the window, and `{ window }` sources only in the key.
 */
import type { Column } from '../tables/table.ts';
import type { StateMapping } from './mapping.ts';
import { DefinitionProblem } from './problem.ts';
import { windowProblem } from './window.ts';

/** A key column fed by the window's start or end: a windowed mapping's, into a DATETIME column. */
export function checkWindowKey(m: StateMapping, column: string, spec: Column, i: number): void {
  const source = m.key[column]!;
  const text = 'window' in source ? `window_${source.window}` : column;
  if (!m.window) {
    throw new DefinitionProblem(
      `${text} is only known to a statement reading a window table function: FROM TABLE(TUMBLE(TABLE <event type>, DESCRIPTOR(event_time), INTERVAL …))`,
      i,
      { part: 'value', column },
      text,
    );
  }
  if (spec.kind !== 'datetime') {
    throw new DefinitionProblem(
      `${text} is a TIMESTAMP(3); key column ${column} is not a DATETIME column`,
      i,
      { part: 'value', column },
      text,
    );
  }
}

/**
 * A window's sizes are whole milliseconds, and the key tells its windows apart: window_end does
 * for every kind, window_start for TUMBLE and HOP (CUMULATE's windows share their start).
 */
export function checkWindow(m: StateMapping, table: string, i: number): void {
  const w = m.window!;
  const problem = windowProblem(w);
  if (problem) throw new DefinitionProblem(problem, i, { part: 'mapping' }, w.kind);
  const bounds = new Set(Object.values(m.key).flatMap((s) => ('window' in s ? [s.window] : [])));
  const enough = bounds.has('end') || (w.kind !== 'CUMULATE' && bounds.has('start'));
  if (!enough) {
    const needed = w.kind === 'CUMULATE' ? 'window_end' : 'window_start or window_end';
    throw new DefinitionProblem(
      `${w.kind} writes one row per window: the key of ${table} needs ${needed} (a DATETIME(3) key column)`,
      i,
      { part: 'mapping' },
      table,
    );
  }
}
