/**
 * The SQL type of a payload field, read from its zod schema (definition time only): strings with
 * their most characters, integers as INT or BIGINT by their bounds, other numbers as DOUBLE, the
 * catalog's amounts (shared/events/amount.ts) as DECIMAL(18, 4), arrays with their element type,
 * objects and records as structured values. The one reader of zod's internals the SQL front end uses.
 */
import { AMOUNT_SCALE, amountSchema } from '../events/amount.ts';
import type * as z from '../events/zod.ts';
import {
  ANY,
  BIGINT,
  BOOLEAN,
  commonType,
  DOUBLE,
  decimalType,
  INT,
  type SqlType,
  stringType,
} from './types.ts';

interface Check {
  check?: string;
  maximum?: number;
  minimum?: number;
  value?: number;
  inclusive?: boolean;
  format?: string;
}
interface Def {
  type: string;
  innerType?: z.ZodMiniType;
  in?: z.ZodMiniType;
  out?: z.ZodMiniType;
  shape?: Record<string, z.ZodMiniType>;
  element?: z.ZodMiniType;
  options?: z.ZodMiniType[];
  checks?: Array<{ _zod: { def: Check } }>;
  values?: unknown[];
}
const defOf = (schema: z.ZodMiniType) => (schema as unknown as { _zod: { def: Def } })._zod.def;
const checksOf = (def: Def) => (def.checks ?? []).map((c) => c._zod.def);

/** A field's type, and whether it may be absent or NULL. */
export interface FieldType {
  type: SqlType;
  nullable: boolean;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);

/** The schema under optional/nullable/default wrappers (and whether one of them lets NULL or absence through). */
function unwrap(schema: z.ZodMiniType): { schema: z.ZodMiniType; nullable: boolean } {
  let current = schema;
  let nullable = false;
  for (let depth = 0; depth < 20; depth++) {
    if (current === (amountSchema as unknown)) break;
    const def = defOf(current);
    if (WRAPPERS.has(def.type) && def.innerType) {
      if (def.type === 'optional' || def.type === 'nullable') nullable = true;
      current = def.innerType;
    } else if (def.type === 'pipe') {
      // A transform's output is not described; its input is what arrives.
      current = defOf(def.out!).type === 'transform' ? def.in! : def.out!;
    } else break;
  }
  return { schema: current, nullable };
}

/** The SQL type values of `schema` have. */
export function sqlTypeOf(schema: z.ZodMiniType): SqlType {
  if (schema === (amountSchema as unknown)) return decimalType(14 + AMOUNT_SCALE, AMOUNT_SCALE);
  const { schema: inner } = unwrap(schema);
  if (inner === (amountSchema as unknown)) return decimalType(14 + AMOUNT_SCALE, AMOUNT_SCALE);
  const def = defOf(inner);
  const checks = checksOf(def);
  switch (def.type) {
    case 'string':
    case 'email':
    case 'uuid': {
      const max = checks.filter((c) => c.check === 'max_length').map((c) => c.maximum!);
      const exact = checks
        .filter((c) => c.check === 'length_equals')
        .map((c) => (c as { length?: number }).length!);
      const bounds = [...max, ...exact];
      return stringType(bounds.length > 0 ? Math.min(...bounds) : undefined);
    }
    case 'enum':
    case 'literal': {
      const values = def.values ?? Object.values((def as { entries?: object }).entries ?? {});
      if (values.every((v) => typeof v === 'string'))
        return stringType(Math.max(0, ...values.map((v) => (v as string).length)));
      return ANY;
    }
    case 'number':
    case 'int': {
      const integer =
        def.type === 'int' || checks.some((c) => c.check === 'number_format' && /int/.test(c.format ?? ''));
      if (!integer) return DOUBLE;
      const low = checks.filter((c) => c.check === 'greater_than').map((c) => c.value!);
      const high = checks.filter((c) => c.check === 'less_than').map((c) => c.value!);
      const fitsInt = low.some((v) => v >= -(2 ** 31)) && high.some((v) => v <= 2 ** 31 - 1);
      return fitsInt ? INT : BIGINT;
    }
    case 'bigint':
      return BIGINT;
    case 'boolean':
      return BOOLEAN;
    case 'array':
      return { type: 'ARRAY', element: def.element ? sqlTypeOf(def.element) : ANY };
    case 'union': {
      const types = (def.options ?? []).map(sqlTypeOf);
      let common: SqlType | undefined = types[0];
      for (const t of types.slice(1)) common = common && commonType(common, t);
      return common ?? ANY;
    }
    default:
      return ANY;
  }
}

/** The object shape of `schema`, if it is an object. */
export function shapeOf(schema: z.ZodMiniType): Record<string, z.ZodMiniType> | undefined {
  const def = defOf(unwrap(schema).schema);
  return def.type === 'object' ? def.shape : undefined;
}

/**
 * The type of the payload field at `path` (names, and 0-based array indexes), or undefined when the
 * schema has no such field. An array element is nullable (the index may be beyond its end).
 */
export function fieldType(
  schema: z.ZodMiniType,
  path: ReadonlyArray<string | number>,
): FieldType | undefined {
  let current = schema;
  let nullable = false;
  for (const part of path) {
    const { schema: inner, nullable: wrapped } = unwrap(current);
    nullable ||= wrapped;
    const def = defOf(inner);
    if (typeof part === 'number') {
      if (def.type !== 'array' || !def.element) return undefined;
      current = def.element;
      nullable = true;
      continue;
    }
    if (def.type !== 'object' || !def.shape || !Object.hasOwn(def.shape, part)) {
      if (def.type === 'record' || (def.type === 'object' && !def.shape))
        return { type: ANY, nullable: true };
      return undefined;
    }
    current = def.shape[part]!;
  }
  const { nullable: wrapped } = unwrap(current);
  const mayBeNull = current.safeParse(undefined).success || current.safeParse(null).success;
  return { type: sqlTypeOf(current), nullable: nullable || wrapped || mayBeNull };
}
