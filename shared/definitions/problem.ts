/** A mistake in a definition, and where in the mapping it is (check.ts and check-state.ts throw it). */

/** Where in a mapping a problem is. */
export type Place =
  /** The mapping as a whole (its target table). */
  | { part: 'mapping' }
  /** A column named by the mapping. */
  | { part: 'column'; column: string }
  /** The value (or aggregate's value) filling a column. */
  | { part: 'value'; column: string }
  /** An event mapping's condition. */
  | { part: 'where' }
  /** A join. */
  | { part: 'join'; dimension: string }
  /** An event type the mapping reads. */
  | { part: 'type'; type: string };

/** A mistake in a definition: the mapping (its index), where in it, the offending name, the problem. */
export class DefinitionProblem extends Error {
  override readonly name = 'DefinitionProblem';
  readonly mapping: number;
  readonly place: Place;
  readonly identifier: string;
  constructor(problem: string, mapping: number, place: Place, identifier: string) {
    super(problem);
    this.mapping = mapping;
    this.place = place;
    this.identifier = identifier;
  }
}

/** A merge as messages show it. */
export const show = (merge: unknown) =>
  merge === undefined ? 'none (keeps the first value)' : JSON.stringify(merge);
