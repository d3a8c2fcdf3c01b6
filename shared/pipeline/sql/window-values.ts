/**
 * `window_start` and `window_end` in a statement reading a window table function (window.ts): key
 * columns naming the event's window, selected and grouped by as Flink's window aggregation does,
 * and nothing else (an expression of them would be evaluated per event, not per window).
 */
import { TIMESTAMP } from '../../definitions/types.ts';
import type { Window, WindowBound } from '../../definitions/window.ts';
import type { Value } from './values.ts';

/** What of a statement (resolve.ts's Resolver) these read. */
interface Statement {
  readonly window: Window | undefined;
  readonly eventName: string;
  unsupported(what: string, identifier: string, at?: number): never;
}

const BOUNDS: Record<string, WindowBound> = { window_start: 'start', window_end: 'end' };

/** The window bound a reference names (`window_start`, `e.window_end`), in a windowed statement. */
export function windowBound(
  statement: Statement,
  parts: readonly string[],
  at: number | undefined,
): WindowBound | undefined {
  if (!statement.window) return undefined;
  const name =
    parts.length === 1 ? parts[0]! : parts.length === 2 && parts[0] === statement.eventName ? parts[1]! : '';
  if (name === 'window_time') {
    statement.unsupported(
      'window_time (the window’s rowtime, for a window cascaded into another); select window_start or window_end',
      parts.join('.'),
      at,
    );
  }
  return Object.hasOwn(BOUNDS, name) ? BOUNDS[name] : undefined;
}

/** The value of a window bound: typed as the envelope's time (a TIMESTAMP(3), never NULL). */
export function windowValue(bound: WindowBound, text: string, at: number | undefined): Value {
  return {
    typed: { expr: { op: 'envelope', field: 'timestamp', t: TIMESTAMP }, nullable: false },
    source: { window: bound },
    nullable: false,
    text,
    name: `window_${bound}`,
    at,
  };
}

/** A value inside an expression: not a window bound. */
export function notWindow<V extends Value>(statement: Statement, value: V): V {
  if ('window' in value.source) {
    statement.unsupported(
      `${value.text} in an expression; window_start and window_end are selected and grouped by as they are (key columns of the table)`,
      value.text,
      value.at,
    );
  }
  return value;
}
