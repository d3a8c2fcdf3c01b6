/**
 * ESM event filtering for Kafka records: a documented subset of Lambda's filter rule syntax
 * (docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html, kafka-filtering.html).
 *
 * - `FilterCriteria` is AWS's shape: `{Filters: [{Pattern: "<json>"}]}`, at most 5 filters, ORed.
 * - Kafka ESMs filter on `value` only. A pattern's `value` is either an object (fields ANDed, nested
 *   objects recurse, each field's list of rules ORed) matched against the value parsed as JSON, or a
 *   list of rules matched against the value as a plain string.
 * - A value that is not JSON never matches an object pattern, and a JSON value never matches a
 *   plain-string pattern: AWS drops the record (the table in invocation-eventfiltering.html), and the
 *   ESM commits past it. That silent drop is why our infrastructure uses no filters.
 * - Rules: literal (string, number, boolean, null: equality; against a list in the data, any element),
 *   `{prefix}`, `{suffix}`, `{"equals-ignore-case"}`, `{exists: true|false}`,
 *   `{numeric: [">", 0, "<=", 5]}`, `{"anything-but": literal | [literals] | {prefix}}`.
 */
import type { KafkaEventRecord } from '../shared/pipeline/lambda-event.ts';

export interface FilterCriteria {
  Filters: Array<{ Pattern: string }>;
}

export class FilterPatternError extends Error {
  override name = 'FilterPatternError';
}

export type RecordFilter = (record: KafkaEventRecord) => boolean;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type FieldPattern = { [key: string]: FieldPattern | Json[] };
type ValuePattern = { kind: 'object'; pattern: FieldPattern } | { kind: 'string'; rules: Json[] };

const NUMERIC_OPERATORS = new Set(['<', '<=', '=', '>', '>=']);

/** Compiles the criteria once; throws FilterPatternError naming the bad pattern. */
export function compileFilterCriteria(criteria: FilterCriteria): RecordFilter {
  if (criteria.Filters.length === 0) return () => true;
  if (criteria.Filters.length > 5) throw new FilterPatternError('at most 5 filters are allowed');
  const patterns = criteria.Filters.map(({ Pattern }) => parsePattern(Pattern));
  return (record) => {
    const value = decodeValue(record.value);
    return patterns.some((pattern) => matchesValue(pattern, value));
  };
}

function parsePattern(text: string): ValuePattern {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new FilterPatternError(`pattern is not JSON: ${text}`);
  }
  if (!isObject(parsed)) throw new FilterPatternError(`pattern is not an object: ${text}`);
  const keys = Object.keys(parsed);
  if (keys.length !== 1 || keys[0] !== 'value') {
    throw new FilterPatternError(`Kafka event source mappings filter on "value" only: ${text}`);
  }
  const value = parsed.value;
  if (Array.isArray(value)) {
    for (const rule of value) validateRule(rule as Json, text);
    return { kind: 'string', rules: value as Json[] };
  }
  if (!isObject(value)) throw new FilterPatternError(`"value" must be an object or a list of rules: ${text}`);
  validateFieldPattern(value, text);
  return { kind: 'object', pattern: value as FieldPattern };
}

function validateFieldPattern(pattern: Record<string, unknown>, text: string): void {
  for (const rules of Object.values(pattern)) {
    if (Array.isArray(rules)) {
      if (rules.length === 0) throw new FilterPatternError(`empty rule list in ${text}`);
      for (const rule of rules) validateRule(rule as Json, text);
    } else if (isObject(rules)) {
      validateFieldPattern(rules, text);
    } else {
      throw new FilterPatternError(`a field's rules must be a list or a nested object: ${text}`);
    }
  }
}

function validateRule(rule: Json, text: string): void {
  if (!isObject(rule)) return;
  const [operator, ...extra] = Object.keys(rule);
  const operand = operator === undefined ? undefined : rule[operator];
  const bad = (why: string) => new FilterPatternError(`${why} in ${text}`);
  if (operator === undefined || extra.length > 0) throw bad('a rule object has exactly one operator');
  switch (operator) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof operand !== 'string') throw bad(`"${operator}" takes a string`);
      return;
    case 'exists':
      if (typeof operand !== 'boolean') throw bad('"exists" takes true or false');
      return;
    case 'numeric': {
      if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4) {
        throw bad('"numeric" takes one or two [operator, number] pairs');
      }
      for (let i = 0; i < operand.length; i += 2) {
        if (!NUMERIC_OPERATORS.has(operand[i] as string) || typeof operand[i + 1] !== 'number') {
          throw bad(`bad numeric comparison ${JSON.stringify(operand)}`);
        }
      }
      return;
    }
    case 'anything-but':
      if (isObject(operand) && !(Object.keys(operand).length === 1 && typeof operand.prefix === 'string')) {
        throw bad('"anything-but" takes a value, a list of values or {prefix}');
      }
      return;
    default:
      throw bad(`unsupported operator "${operator}"`);
  }
}

type DecodedValue = { kind: 'json'; value: Json } | { kind: 'string'; value: string } | { kind: 'absent' };

function decodeValue(base64: string | null | undefined): DecodedValue {
  if (base64 == null) return { kind: 'absent' };
  const text = Buffer.from(base64, 'base64').toString('utf8');
  try {
    return { kind: 'json', value: JSON.parse(text) as Json };
  } catch {
    return { kind: 'string', value: text };
  }
}

function matchesValue(pattern: ValuePattern, value: DecodedValue): boolean {
  if (pattern.kind === 'string') {
    return value.kind === 'string' && pattern.rules.some((rule) => matchesRule(rule, value.value, true));
  }
  return value.kind === 'json' && isObject(value.value) && matchesObject(pattern.pattern, value.value);
}

function matchesObject(pattern: FieldPattern, data: { [key: string]: Json }): boolean {
  return Object.entries(pattern).every(([field, rules]) => {
    const present = Object.hasOwn(data, field);
    const fieldValue = present ? data[field]! : null;
    if (!Array.isArray(rules)) return present && isObject(fieldValue) && matchesObject(rules, fieldValue);
    return rules.some((rule) => matchesRule(rule, fieldValue, present));
  });
}

function matchesRule(rule: Json, value: Json, present: boolean): boolean {
  if (isObject(rule) && 'exists' in rule) {
    // exists:true matches a present leaf; an empty list or an object is not a leaf value.
    const leaf = present && !isObject(value) && !(Array.isArray(value) && value.length === 0);
    return rule.exists === leaf;
  }
  if (!present) return false;
  // Against a list in the data, a rule matches when any element does.
  if (Array.isArray(value)) return value.some((element) => matchesRule(rule, element, true));
  if (!isObject(rule)) return rule === value;
  const [operator] = Object.keys(rule);
  const operand = rule[operator!];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && value.startsWith(operand as string);
    case 'suffix':
      return typeof value === 'string' && value.endsWith(operand as string);
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === (operand as string).toLowerCase();
    case 'numeric':
      return typeof value === 'number' && matchesNumeric(operand as Json[], value);
    case 'anything-but':
      return matchesAnythingBut(operand as Json, value);
    default:
      return false;
  }
}

function matchesNumeric(comparisons: Json[], value: number): boolean {
  for (let i = 0; i < comparisons.length; i += 2) {
    const bound = comparisons[i + 1] as number;
    const ok = {
      '<': value < bound,
      '<=': value <= bound,
      '=': value === bound,
      '>': value > bound,
      '>=': value >= bound,
    }[comparisons[i] as '<' | '<=' | '=' | '>' | '>='];
    if (!ok) return false;
  }
  return true;
}

function matchesAnythingBut(operand: Json, value: Json): boolean {
  if (isObject(operand)) return typeof value === 'string' && !value.startsWith(operand.prefix as string);
  const excluded = Array.isArray(operand) ? operand : [operand];
  return !excluded.some((candidate) => candidate === value);
}

function isObject(value: unknown): value is { [key: string]: Json } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
