/**
 * The SQL text, for the SQL front end (shared/pipeline/sql.ts): loading the parser, the errors
 * with their positions, the statements' spans, and the positions the syntax tree does not carry —
 * string literals and comments are masked out (same offsets) so names are found only where they
 * are code. Flink syntax the parser's grammar lacks is rewritten here, offsets kept.
 */
import { createRequire } from 'node:module';
import type { Parser } from 'node-sql-parser/build/postgresql.js';
import { asNode } from './syntax.ts';
import { readWindows, type WindowCall, type WindowMistake } from './window.ts';

/** A mistake in a SQL definition, with where it is. */
export class SqlDefinitionError extends Error {
  override readonly name = 'SqlDefinitionError';
  /** The statement's first line. */
  readonly statement: string;
  /** 1-based line and column in the SQL text. */
  readonly line: number;
  readonly column: number;
  /** The offending identifier as it reads in the statement (`e.productIdd`, `dim_usr`, `'user_logn'`). */
  readonly identifier: string;

  constructor(problem: string, statement: string, line: number, column: number, identifier: string) {
    super(`${statement} — line ${line}, column ${column}, \`${identifier}\`: ${problem}`);
    this.statement = statement;
    this.line = line;
    this.column = column;
    this.identifier = identifier;
  }
}

let parser: Parser | undefined;

/** The parser, loaded on first use through require (which bundlers do not follow). */
export function sqlParser(): Parser {
  if (!parser) {
    const load = createRequire(import.meta.url);
    let parserModule: typeof import('node-sql-parser/build/postgresql.js');
    try {
      parserModule = load('node-sql-parser/build/postgresql.js');
    } catch (error) {
      throw new Error(
        'compileSql: the SQL parser (node-sql-parser) is not installed here; compile SQL definitions before bundling',
        { cause: error },
      );
    }
    parser = new parserModule.Parser();
  }
  return parser;
}

/** trimQuery: false, or the parser's offsets would not count the text's leading whitespace. */
export const PARSE_OPTIONS = {
  database: 'postgresql',
  parseOptions: { includeLocations: true },
  trimQuery: false,
};

// ------------------------------------------------------------------------------ the SQL text

export interface Span {
  start: number;
  end: number;
  label: string;
}

/**
 * The SQL text, for positions the syntax tree does not carry: string literals and comments blanked
 * out (same offsets) so identifiers are found only where they are code, and the statements' spans.
 */
export class SqlText {
  readonly raw: string;
  masked: string;

  /** What the parser reads: the same offsets, with Flink syntax its grammar lacks rewritten. */
  readonly parsed: string;
  /** `FOR SYSTEM_TIME AS OF <ref>` clauses (blanked out of `parsed`): where each is, and its reference. */
  readonly systemTime: Array<{ at: number; refAt: number; parts: string[] }> = [];
  /** Window table functions in FROM (blanked out of `parsed` and `masked` but for their table). */
  readonly windows: WindowCall[] = [];
  readonly windowMistake: WindowMistake | undefined;

  constructor(raw: string) {
    this.raw = raw;
    this.masked = mask(raw);
    let parsed = raw;
    const replace = (at: number, text: string) => {
      parsed = parsed.slice(0, at) + text + parsed.slice(at + text.length);
    };
    // CAST(x AS STRING): Flink's name for an unbounded VARCHAR, which the grammar calls TEXT.
    for (const match of this.masked.matchAll(/(?<![\w$])AS\s+(STRING)(?=\s*\))/gi)) {
      replace(match.index + match[0].length - match[1]!.length, 'TEXT  ');
    }
    // LAST_VALUE(x IGNORE NULLS): what LAST_VALUE and FIRST_VALUE do anyway (aggregate.ts).
    for (const match of this.masked.matchAll(/(?<![\w$])IGNORE\s+NULLS(?=\s*\))/gi)) {
      replace(match.index, match[0].replace(/[^\n]/g, ' '));
    }
    // A Flink lookup join's FOR SYSTEM_TIME AS OF e.proc_time: checked by the statement, not parsed.
    const systemTime =
      /(?<![\w$])FOR\s+SYSTEM_TIME\s+AS\s+OF\s+((?:"?[\w$]+"?\s*\.\s*)*"?[\w$]+"?(?:\s*\(\s*\))?)/gi;
    for (const match of this.masked.matchAll(systemTime)) {
      const ref = match[1]!;
      this.systemTime.push({
        at: match.index,
        refAt: match.index + match[0].length - ref.length,
        parts: ref.split('.').map((p) => p.trim().replace(/^"|"$/g, '')),
      });
      replace(match.index, match[0].replace(/[^\n]/g, ' '));
    }
    // Flink's statement set, `EXECUTE STATEMENT SET BEGIN INSERT …; INSERT …; END;` (or the SQL
    // client's `BEGIN STATEMENT SET; … END;`): its statements are compiled as they are, together.
    const statementSet = /(?<![\w$])(?:EXECUTE\s+STATEMENT\s+SET\s+BEGIN|BEGIN\s+STATEMENT\s+SET\s*;)/gi;
    for (const match of this.masked.matchAll(statementSet)) {
      const blank = (at: number, length: number) => {
        const spaces = this.masked.slice(at, at + length).replace(/[^\n]/g, ' ');
        replace(at, spaces);
        this.masked = this.masked.slice(0, at) + spaces + this.masked.slice(at + length);
      };
      blank(match.index, match[0].length);
      const end = /(?<![\w$])END\s*(?:;|$)/gi;
      end.lastIndex = match.index + match[0].length;
      const found = end.exec(this.masked);
      if (found) blank(found.index, found[0].length);
    }
    // Window table functions (window.ts): read, then blanked but for the table's name, in place.
    const windows = readWindows(this.raw, this.masked);
    if (Array.isArray(windows)) {
      for (const call of windows) {
        const spaces = this.masked.slice(call.at, call.end).replace(/[^\n]/g, ' ');
        const kept = (text: string) => {
          const blanked = text.slice(0, call.at) + spaces + text.slice(call.end);
          const at = call.tableAt;
          return (
            blanked.slice(0, at) +
            text.slice(at, at + call.table.length) +
            blanked.slice(at + call.table.length)
          );
        };
        parsed = kept(parsed);
        this.masked = kept(this.masked);
      }
      this.windows = windows;
    } else this.windowMistake = windows;
    this.parsed = parsed;
  }

  /** The statements' spans: the text between `;`s that holds code. */
  spans(): Span[] {
    const spans: Span[] = [];
    let from = 0;
    for (const part of this.masked.split(';')) {
      const lead = part.search(/\S/);
      if (lead >= 0)
        spans.push({
          start: from + lead,
          end: from + part.length,
          label: this.label(from + lead, from + part.length),
        });
      from += part.length + 1;
    }
    return spans;
  }

  /** The spans of the `count` statements the parser found (the whole text if they cannot be told apart). */
  statements(count: number): Span[] {
    const spans = this.spans();
    if (spans.length === count) return spans;
    const start = Math.max(0, this.masked.search(/\S/));
    const whole = { start, end: this.raw.length, label: this.label(start, this.raw.length) };
    return Array.from({ length: count }, () => whole);
  }

  label(start: number, end: number): string {
    const line = this.raw.slice(start, end).split('\n')[0]!.trim();
    return line.length > 80 ? `${line.slice(0, 79)}…` : line;
  }

  position(offset: number): { line: number; column: number } {
    const before = this.raw.slice(0, offset);
    const line = before.split('\n').length;
    return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
  }

  /** The offset of the first match of `pattern` in [from, to): in the code, or with `inRaw` in the raw text. */
  find(pattern: RegExp, from: number, to: number, inRaw = false): number | undefined {
    const search = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
    search.lastIndex = from;
    const match = search.exec(inRaw ? this.raw : this.masked);
    return match && match.index < to ? match.index : undefined;
  }

  /** A mistake in a window table function (or a refused window form), as an error. */
  windowError(): SqlDefinitionError | undefined {
    const mistake = this.windowMistake;
    if (!mistake) return undefined;
    const span = this.spans().find((s) => mistake.at <= s.end) ?? { label: this.label(0, this.raw.length) };
    const { line, column } = this.position(mistake.at);
    return new SqlDefinitionError(mistake.problem, span.label, line, column, mistake.identifier);
  }

  parseError(error: unknown): SqlDefinitionError {
    const message = error instanceof Error ? error.message : String(error);
    const offset = locationOf(error) ?? 0;
    const span = this.spans().find((s) => offset <= s.end) ?? { label: this.label(0, this.raw.length) };
    const found = /[\w$]+|\S/y;
    found.lastIndex = offset;
    const { line, column } = this.position(offset);
    return new SqlDefinitionError(
      `parse error: ${message}`,
      span.label,
      line,
      column,
      found.exec(this.raw)?.[0] ?? '',
    );
  }
}

function locationOf(error: unknown): number | undefined {
  const offset = asNode(asNode(asNode(error).location).start).offset;
  return typeof offset === 'number' ? offset : undefined;
}

/** Blanks out comments and the inside of string literals, keeping every offset and line break. */
export function mask(raw: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    const two = raw.slice(i, i + 2);
    let end: number;
    if (two === '--') {
      end = raw.indexOf('\n', i);
      if (end < 0) end = raw.length;
      out += blank(raw.slice(i, end));
    } else if (two === '/*') {
      end = raw.indexOf('*/', i + 2);
      end = end < 0 ? raw.length : end + 2;
      out += blank(raw.slice(i, end));
    } else if (c === "'" || c === '"') {
      end = i + 1;
      while (end < raw.length) {
        if (raw[end] !== c) end++;
        else if (raw[end + 1] === c) end += 2;
        else {
          end++;
          break;
        }
      }
      // Quoted identifiers stay (they are code); no `;` inside either splits a statement.
      const inside = raw.slice(i + 1, Math.max(i + 1, end - 1));
      out +=
        c + (c === "'" ? blank(inside) : inside.replace(/;/g, ' ')) + raw.slice(i + 1 + inside.length, end);
    } else {
      end = i + 1;
      out += c;
    }
    i = end;
  }
  return out;
}

export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
export const word = (s: string) => `(?<![\\w$"])"?${escapeRegExp(s)}"?(?![\\w$])`;
/** `e.productId`, `"e"."productId"`, `e . productId`. */
export const refPattern = (parts: readonly string[]) => new RegExp(parts.map(word).join('\\s*\\.\\s*'));
export const keywordPattern = (...words: string[]) =>
  new RegExp(`(?<![\\w$])${words.join('\\s+')}(?![\\w$])`, 'i');
export const callPattern = (name: string) => new RegExp(`(?<![\\w$])${escapeRegExp(name)}\\s*\\(`, 'i');
export const stringPattern = (value: string) => new RegExp(escapeRegExp(`'${value.replace(/'/g, "''")}'`));
