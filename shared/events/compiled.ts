/**
 * Schemas as the functions parse with them: compiled. `z.compile` (zod's public API, its README's
 * "For hot validation paths") generates one JavaScript function per schema, the whole tree at
 * once, with `new Function`, which Lambda's Node.js runtime allows (no CSP there, and the functions
 * do not start Node with `--disallow-code-generation-from-strings`). It returns a clone whose parse
 * runs the generated code first and, whenever that finds the input invalid, parses again with the
 * schema's own runtime parser: a valid value comes out the same, and every issue, path and message
 * of an invalid one comes from the runtime, so dead letters read exactly as before. A schema the
 * compiler cannot model comes back unchanged and keeps the runtime parser, and so would every
 * schema where code generation were disallowed (`new Function` throwing: `z.compile` catches it).
 *
 * Compiled on first use, not at import: INIT pays nothing for it; the first record of each type
 * pays the code generation, once per execution environment. Measured against zod/mini's
 * interpreted parser and zod's per-object JIT by `bench/validate.ts` (docs/benchmarks.md, "Client
 * CPU: validation, measured").
 */
import * as z from './zod.ts';

/** How a schema is prepared for parsing: decodeRecord's default is {@link compiledSchema}. */
export type PrepareSchema = <S extends z.ZodMiniType>(schema: S) => S;

/** `prepare` applied once per schema, remembered for as long as the schema lives. */
export function preparedOnce(prepare: (schema: z.ZodMiniType) => z.ZodMiniType): PrepareSchema {
  const cache = new WeakMap<z.ZodMiniType, z.ZodMiniType>();
  return <S extends z.ZodMiniType>(schema: S): S => {
    let prepared = cache.get(schema);
    if (!prepared) {
      prepared = prepare(schema);
      cache.set(schema, prepared);
    }
    return prepared as S;
  };
}

/** The schema compiled by `z.compile` (once), with the runtime parser behind it for invalid input. */
export const compiledSchema: PrepareSchema = preparedOnce((schema) => z.compile(schema));
