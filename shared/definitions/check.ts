/**
 * The definitions core: every definition-time check of declared processors, once, for both front
 * ends. The object form (shared/pipeline/declarative.ts) and the SQL form (shared/pipeline/sql.ts)
 * translate into mappings (mapping.ts); checkMappings checks them against the tables, dimensions
 * and payload schemas and throws a DefinitionProblem that says which mapping, which part of it and
 * which name is wrong. Each front end turns that into its own error: the object form names the
 * mapping and column, the SQL form the statement, line and column.
 *
 * What is checked:
 * - names: event types, tables (event tables keyed by event_id, state tables), columns written by
 *   the sink and not filled automatically, dimensions joined and the columns their lookups return,
 *   payload fields (payload-types.ts is the one reader of zod's schemas);
 * - values against the column they fill: type (typing.ts's misfit: DECIMAL precision and scale,
 *   string lengths, TIMESTAMP, JSON) and nullability (an optional payload field, a left-joined
 *   dimension column or NULL cannot fill a NOT NULL column);
 * - coverage: every NOT NULL column without a default is written; a state table's key is its GROUP
 *   BY; each aggregate fits its column's merge; columns ordered by one order key are filtered to the
 *   same types; a column merged newest is fed;
 * - across mappings: a type writes one row per event table; a type joins a dimension on one field;
 *   a type a state mapping aggregates has an event row written for every event (the row that makes
 *   its state merge exactly once).
 */
import { checkState } from './check-state.ts';
import { Checker, type DefinitionWorld, type Describe } from './checker.ts';
import { isStateMapping, type Mapping } from './mapping.ts';

export {
  type DefinitionWorld,
  type Describe,
  ENVELOPE_TYPES,
  isEventTable,
  payloadsByType,
  readField,
  showSource,
  type TypedSource,
} from './checker.ts';
export { DefinitionProblem, type Place } from './problem.ts';

/**
 * Checks every mapping, alone and against the others; throws the first DefinitionProblem.
 * `from`: check alone only the mappings from this index (the others were checked already);
 * `across`: whether to check them against each other too (once every mapping is there);
 * `complete`: the mappings are a whole domain's, so a type a state mapping aggregates must have an
 * event mapping among them (`npm run sql -- check` compiles statements without the domains').
 */
export function checkMappings(
  mappings: readonly Mapping[],
  world: DefinitionWorld,
  describe?: Describe,
  options: { from?: number; across?: boolean; complete?: boolean } = {},
): void {
  const checker = new Checker(world, describe);
  for (const [i, m] of mappings.entries()) {
    if (i < (options.from ?? 0)) continue;
    if (isStateMapping(m)) checkState(checker, m, i);
    else checker.event(m, i);
  }
  if (options.across ?? true) checker.across(mappings, options.complete ?? true);
}
