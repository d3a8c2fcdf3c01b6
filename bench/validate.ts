/**
 * Validation, measured (issue 20, client CPU): the schemas of the envelope and the payloads parsed
 * four ways, alternating round by round in one process, on the same records:
 *   - mini: zod/mini as it is, every object interpreted (`core.$ZodObject`);
 *   - jit: the same schemas with zod's per-object JIT (`core.$ZodObjectJIT`, what classic `z.object`
 *     builds): each object's property loop generated with `new Function`, its fields interpreted;
 *   - compile: `z.compile`, the whole schema generated as one function, the runtime parser behind it
 *     for invalid input (shared/events/compiled.ts, what decodeRecord uses);
 *   - ajv: a JSON Schema of the envelope (`z.toJSONSchema`) compiled by ajv — the envelope only, as
 *     the ceiling of a compiled validator; it skips the well-formed-Unicode refinement JSON Schema
 *     cannot state, and reports its own messages, so it is a measurement, not a candidate.
 * Before timing, every candidate's decodeRecord result must equal mini's for every record, valid or
 * malformed, message for message.
 *
 * Rows, CPU ms per 1,000 records: decodeRecord whole (base64 → JSON → envelope → payload) on each
 * domain's records as the demo stream sends them (≈ 1 % malformed); the validation alone (envelope
 * and payload of the already-parsed JSON); the envelope alone; the demo's malformed records only
 * (where compile parses twice).
 *
 *   scripts/node.sh node bench/validate.ts [--records 1000] [--rounds 30]
 */
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { Ajv } from 'ajv';
import { demoStream } from '../scripts/local/demo-stream.ts';
import { CATALOG, DOMAINS } from '../shared/domains/registry.ts';
import { businessEventSchema } from '../shared/events/business-event.ts';
import { EventCatalog } from '../shared/events/catalog.ts';
import { compiledSchema, type PrepareSchema, preparedOnce } from '../shared/events/compiled.ts';
import * as z from '../shared/events/zod.ts';
import { type DecodedRecord, decodeRecord } from '../shared/pipeline/decode.ts';
import type { KafkaEventRecord } from '../shared/pipeline/lambda-event.ts';
import { spread } from './handler.ts';

const { values: args } = parseArgs({
  options: { records: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '30' } },
});
const count = Number(args.records);
const rounds = Number(args.rounds);
const REPEATS = 7;

/** zod/mini's object with the JIT parser of classic `z.object` (same core, same issues). */
const JitObject = z.core.$constructor('ZodMiniObject', (inst: z.ZodMiniObject, def: z.core.$ZodObjectDef) => {
  z.core.$ZodObjectJIT.init(inst, def);
  z.ZodMiniType.init(inst, def);
});
/** A top-level object schema rebuilt as a {@link JitObject} (the catalog's schemas nest no objects). */
function withJit(schema: z.ZodMiniType): z.ZodMiniType {
  if (!(schema instanceof z.ZodMiniObject)) return schema;
  const def = schema._zod.def as z.core.$ZodObjectDef;
  return new JitObject({ ...def, shape: { ...def.shape } }) as unknown as z.ZodMiniType;
}

const CANDIDATES: Array<[string, PrepareSchema]> = [
  ['mini', (schema) => schema],
  ['jit', preparedOnce(withJit)],
  ['compile', compiledSchema],
];
const ajv = new Ajv({ allErrors: false, strict: false });
const { $schema: _, ...envelopeJsonSchema } = z.toJSONSchema(businessEventSchema, { unrepresentable: 'any' });
const ajvEnvelope = ajv.compile(envelopeJsonSchema);
const catalog = new EventCatalog(CATALOG);

function kafkaRecord(value: string | Buffer, offset: number): KafkaEventRecord {
  return {
    topic: 'bench',
    partition: 0,
    offset,
    timestamp: 0,
    timestampType: 'CREATE_TIME',
    key: null,
    value: Buffer.from(value).toString('base64'),
    headers: [],
  };
}

type Item = [record: KafkaEventRecord, domain: string];

/** Each domain's first `count` records of the demo stream, and the malformed ones of all domains. */
function records(): { byDomain: Map<string, Item[]>; malformed: Item[] } {
  const byDomain = new Map<string, Item[]>(DOMAINS.map((d) => [d.name, []]));
  const malformed: Item[] = [];
  let offset = 0;
  for (const record of demoStream({ events: count * 40, runId: 'validate', seed: 7 })) {
    const item: Item = [kafkaRecord(record.value, offset++), record.domain];
    if (record.expect === 'dead-letter') malformed.push(item);
    const mine = byDomain.get(record.domain);
    if (mine && mine.length < count) mine.push(item);
  }
  return { byDomain, malformed };
}

/** The JSON of each record whose envelope is valid, for the validation-alone rows. */
function envelopes(items: Item[]): Array<Record<string, unknown>> {
  return items.flatMap(([record]) => {
    try {
      const json = JSON.parse(Buffer.from(record.value ?? '', 'base64').toString('utf8'));
      return businessEventSchema.safeParse(json).success ? [json as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

const decodeAll = (items: Item[], prepareSchema: PrepareSchema) => () =>
  items.map(([record, domain]) => decodeRecord(record, { catalog, domain, prepareSchema }));

/** What decodeRecord's schema work is: the envelope, then the payload of its type and version. */
const validateAll = (jsons: Array<Record<string, unknown>>, prepare: PrepareSchema) => () =>
  jsons.map((json) => {
    const envelope = prepare(businessEventSchema).safeParse(json);
    const entry = catalog.resolve(String(json.type), String(json.version));
    return typeof entry === 'object' && envelope.success
      ? prepare(entry.payload).safeParse(json.payload)
      : envelope;
  });

const envelopeAll = (jsons: Array<Record<string, unknown>>, prepare: PrepareSchema) => () =>
  jsons.map((json) => prepare(businessEventSchema).safeParse(json));

function cpuMsPer1000(work: () => unknown, items: number): number {
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < rounds; i++) work();
  const used = process.cpuUsage(cpu0);
  return ((used.user + used.system) / 1_000 / rounds) * (1_000 / items);
}

/** Medians of REPEATS alternating measurements, one per candidate. */
function alternate(work: Array<() => unknown>, items: number): number[] {
  const runs = work.map(() => [] as number[]);
  for (const w of work) for (let i = 0; i < 3; i++) w(); // warm up: code generation, V8 tiers
  for (let r = 0; r < REPEATS; r++) {
    for (const [i, w] of work.entries()) runs[i]!.push(cpuMsPer1000(w, items));
  }
  return runs.map((r) => spread(r).median);
}

function row(label: string, figures: number[]) {
  const base = figures[0]!;
  const cells = figures.map((f, i) =>
    i === 0 ? f.toFixed(2) : `${f.toFixed(2)} (${(f / base).toFixed(2)}×)`,
  );
  process.stdout.write(`  ${label.padEnd(30)} ${cells.join(' · ')}\n`);
}

/** A decoded record with its error's reason and message spelled out (an Error's are not enumerable). */
function comparable(decoded: DecodedRecord): unknown {
  return decoded.kind === 'invalid'
    ? { ...decoded, error: [decoded.error.reason, decoded.error.message] }
    : decoded;
}

const { byDomain, malformed } = records();
// What the first record of each type costs once per execution environment: its schema's compilation.
const schemas = [businessEventSchema, ...CATALOG.map((entry) => entry.payload)];
const compileStart = process.cpuUsage();
for (const schema of schemas) compiledSchema(schema);
const compileCpu = process.cpuUsage(compileStart);
process.stdout.write(
  `z.compile of the envelope and ${CATALOG.length} payload schemas, first use: ${((compileCpu.user + compileCpu.system) / 1_000).toFixed(1)} CPU ms\n`,
);
for (const [name, prepare] of CANDIDATES.slice(1)) {
  for (const items of [...byDomain.values(), malformed]) {
    const want = decodeAll(items, CANDIDATES[0]![1])().map(comparable);
    const got = decodeAll(items, prepare)().map(comparable);
    const differs = got.findIndex((g, i) => !isDeepStrictEqual(g, want[i]));
    if (differs >= 0) {
      throw new Error(
        `${name} decoded a record differently: ${JSON.stringify([got[differs], want[differs]])}`,
      );
    }
  }
}
const names = CANDIDATES.map(([name]) => name);
process.stdout.write(
  `validation, CPU ms per 1,000 records (median of ${REPEATS} × ${rounds} rounds, alternating): ${names.join(' · ')} (ratio to mini) · ajv, envelope only\n`,
);
for (const [domain, items] of byDomain) {
  const jsons = envelopes(items);
  const bad = items.length - jsons.length;
  row(
    `${domain} decodeRecord (${bad} bad)`,
    alternate(
      CANDIDATES.map(([, p]) => decodeAll(items, p)),
      items.length,
    ),
  );
  row(
    `${domain} envelope + payload`,
    alternate(
      CANDIDATES.map(([, p]) => validateAll(jsons, p)),
      jsons.length,
    ),
  );
  row(`${domain} envelope`, [
    ...alternate(
      [...CANDIDATES.map(([, p]) => envelopeAll(jsons, p)), () => jsons.map((j) => ajvEnvelope(j))],
      jsons.length,
    ),
  ]);
}
row(
  `malformed decodeRecord (${malformed.length})`,
  alternate(
    CANDIDATES.map(([, p]) => decodeAll(malformed, p)),
    malformed.length,
  ),
);
