/** Every conformance case (case.ts says what a case is), by topic, in the order they run. */
import { AGGREGATES } from './aggregates.ts';
import type { Case } from './case.ts';
import { COLUMNS } from './columns.ts';
import { EVENTS } from './events.ts';
import { EXPRESSIONS } from './expressions.ts';
import { TIME_JSON } from './time-json.ts';
import { VALUES } from './values.ts';
import { WINDOWS } from './windows.ts';

export type { Case, Difference } from './case.ts';

export const CASES: Case[] = [
  ...COLUMNS,
  ...EXPRESSIONS,
  ...TIME_JSON,
  ...EVENTS,
  ...AGGREGATES,
  ...VALUES,
  ...WINDOWS,
];
