/**
 * `npm run test:reliability` — the reliability suite: faults mid-stream, bad input and load, each
 * through the local Kafka event source mapping (local-esm/) and the real functions, over the real
 * services, each ending with exact accounting of every record (./accounting.ts).
 *
 *   npm run test:reliability -- [--size full|ci] [--only name,name] [--keep]
 *
 * --size full (default): 200,000 load records, 20,000 per fault; --size ci: a reduced size that keeps
 * the suite within about five minutes on two cores. --only runs some scenarios; --keep leaves their
 * schemas, topics, users and secrets behind. Services are found as the tests find them
 * (scripts/services/find-services.ts). Prints one row per scenario — records in, accounted, lost,
 * duplicated, counters exact — and exits non-zero on any loss, duplicate, misplaced record, counter
 * mismatch or failed check. Runner and function logs: .local/reliability/<run>/.
 */
import { mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { findServices } from '../../scripts/services/find-services.ts';
import { DOMAIN_NAMES } from '../../shared/domains/registry.ts';
import { type Accounting, account } from './accounting.ts';
import { table } from './bad-input.ts';
import { ROOT, type ScenarioDefinition, ScenarioRun, type Size } from './harness.ts';
import { SCENARIOS } from './scenarios.ts';

const SIZES: Record<Size['name'], Size> = {
  full: { name: 'full', loadRecords: 200_000, faultRecords: 20_000, faultRate: 500, background: 2_000 },
  ci: { name: 'ci', loadRecords: 50_000, faultRecords: 4_000, faultRate: 200, background: 600 },
};

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: 'full' },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const size = SIZES[args.size as Size['name']];
if (!size) throw new Error(`--size must be full or ci, got ${args.size}`);
const only = args.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? [];
if (unknown.length > 0) {
  throw new Error(
    `unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
  );
}
const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.name));

const log = (line: string) => process.stderr.write(`${line}\n`);
const started = Date.now();
const services = await findServices();
const { endpoints } = services;
const runId = `r${Date.now().toString(36).slice(-6)}`;
const logDir = join(ROOT, '.local', 'reliability', runId);
mkdirSync(logDir, { recursive: true });
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
log(`reliability suite ${runId}, size ${size.name}: ${scenarios.map((s) => s.name).join(', ')}`);
log(`machine: ${machine}`);
log(
  `services via ${endpoints.source}: mysql ${endpoints.db.host}:${endpoints.db.port}, kafka ${endpoints.kafkaBrokers.join(',')}, aws ${endpoints.aws.endpoint}; logs in .local/reliability/${runId}/`,
);
const secrets = new SecretsManagerClient({
  endpoint: endpoints.aws.endpoint,
  region: endpoints.aws.region,
  credentials: { accessKeyId: endpoints.aws.accessKeyId, secretAccessKey: endpoints.aws.secretAccessKey },
});
const ctx = { endpoints, secrets, runId, logDir, keep: args.keep, log };

interface Result {
  scenario: ScenarioDefinition;
  accounting?: Accounting;
  redelivered?: number;
  notes: string[];
  failures: string[];
  extra: string[];
  seconds: number;
}

const results: Result[] = [];
for (const scenario of scenarios) {
  const t0 = Date.now();
  log(`\n== ${scenario.name}: ${scenario.what}`);
  const result: Result = { scenario, notes: [], failures: [], extra: [], seconds: 0 };
  let run: ScenarioRun | undefined;
  try {
    run = await ScenarioRun.create(ctx, scenario.name);
    result.notes = await scenario.run(run, size);
    const records = await run.readTopic();
    const failures = await run.readFailures();
    const accounting = await account(run.conn, run.topic, records, failures, run.dimensions);
    result.accounting = accounting;
    const invoked = run.runners.reduce((sum, r) => sum + r.invokedRecords, 0);
    result.redelivered = invoked - DOMAIN_NAMES.length * records.length;
    result.failures.push(...accounting.problems);
    result.failures.push(...((await scenario.verify?.(run, records)) ?? []));
    result.notes.push(...run.notes);
    result.extra = scenario.report?.(run, records, accounting.placeOf) ?? [];
  } catch (error) {
    result.failures.unshift(`FAILED: ${(error as Error).stack ?? error}`);
  } finally {
    await run?.close().catch((error: unknown) => log(`  cleanup: ${(error as Error).message}`));
  }
  result.seconds = (Date.now() - t0) / 1000;
  const a = result.accounting;
  log(
    a
      ? `  ${a.recordsIn} records: ${a.places.written} written, ${a.places.absorbed} absorbed, ${a.places['dead-letter']} dead-lettered, ${a.places['on-failure']} to the on-failure topic; lost ${a.lost}, duplicated ${a.duplicated}, misplaced ${a.misplaced}, counters ${a.countersExact ? 'exact' : 'WRONG'} (${result.seconds.toFixed(0)} s)`
      : `  no accounting (${result.seconds.toFixed(0)} s)`,
  );
  for (const line of [...result.notes, ...result.failures]) log(`  ${line}`);
  results.push(result);
}

const failed = (r: Result) =>
  !r.accounting ||
  r.accounting.lost > 0 ||
  r.accounting.duplicated > 0 ||
  r.accounting.misplaced > 0 ||
  !r.accounting.countersExact ||
  r.failures.length > 0;

const rows = [
  [
    'scenario',
    'records in',
    'accounted',
    'lost',
    'duplicated',
    'misplaced',
    'counters exact',
    'redelivered',
    'wall s',
    '',
  ],
  ...results.map((r) => {
    const a = r.accounting;
    return [
      r.scenario.name,
      a ? String(a.recordsIn) : '-',
      a ? String(a.accounted) : '-',
      a ? String(a.lost) : '-',
      a ? String(a.duplicated) : '-',
      a ? String(a.misplaced) : '-',
      a ? (a.countersExact ? 'yes' : 'NO') : '-',
      r.redelivered === undefined ? '-' : String(r.redelivered),
      r.seconds.toFixed(0),
      failed(r) ? 'FAILED' : 'ok',
    ];
  }),
];
console.log(
  `\nreliability suite ${runId}, size ${size.name}; ${machine}; services via ${endpoints.source}\n`,
);
for (const line of table(rows)) console.log(line);
console.log('');
for (const r of results) {
  console.log(`${r.scenario.name}: ${r.scenario.what}`);
  for (const note of r.notes) console.log(`  - ${note}`);
  for (const failure of r.failures) console.log(`  ! ${failure.split('\n')[0]}`);
}
for (const r of results) {
  if (r.extra.length === 0) continue;
  console.log('');
  for (const line of r.extra) console.log(line);
}
const wall = Math.round((Date.now() - started) / 1000);
const bad = results.filter(failed);
console.log(
  `\nwall time ${Math.floor(wall / 60)} min ${wall % 60} s; ${
    bad.length === 0
      ? 'every record accounted for, nothing lost or duplicated, counters exact'
      : `FAILED: ${bad.map((r) => r.scenario.name).join(', ')}`
  }`,
);
secrets.destroy();
await services.stop();
process.exit(bad.length === 0 ? 0 : 1);
