/**
 * Checking a refused SQL statement: the SqlDefinitionError it fails with names its statement (first
 * line), the line and column of `at` in the text, the identifier, and the problem.
 */
import { expect } from 'vitest';
import { compileSql, type SqlContext, SqlDefinitionError } from '../../../shared/pipeline/sql.ts';

export function refusals(context: SqlContext) {
  function failure(text: string): SqlDefinitionError {
    try {
      compileSql(text, context);
    } catch (error) {
      if (error instanceof SqlDefinitionError) return error;
      throw error;
    }
    throw new Error('compiled without an error');
  }

  function expectRefused(text: string, at: string, identifier: string, problem: RegExp): void {
    const error = failure(text);
    const offset = text.indexOf(at);
    const before = text.slice(0, offset);
    expect({ line: error.line, column: error.column, identifier: error.identifier }).toEqual({
      line: before.split('\n').length,
      column: offset - before.lastIndexOf('\n'),
      identifier,
    });
    expect(error.statement).toBe(text.split('\n')[0]);
    expect(error.message).toMatch(problem);
  }
  return { failure, expectRefused };
}
