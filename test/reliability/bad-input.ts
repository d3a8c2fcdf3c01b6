/**
 * Bad input, each kind with its documented outcome (docs/reliability.md, "Bad input"), mixed into a demo stream
 * on one topic and one schema. Every record carries its expected outcome (written, absorbed as a
 * duplicate, or dead-lettered with a reason), which the accounting checks; some kinds have checks of
 * their own (SQL-injection text stored verbatim and nothing executed, first write wins, raw bytes,
 * keys and header bytes kept in the dead letters).
 */

import {
  nestedDeep,
  notUtf8,
  overOneMegabyte,
  prototypeKeys,
  truncatedJson,
  unpairedSurrogates,
} from './bad-input-encoding.ts';
import {
  absurdTimestamps,
  badEventIds,
  binaryHeaders,
  noValue,
  sameEventId,
  unknownVersions,
  wrongTypes,
} from './bad-input-fields.ts';
import { sqlInjection } from './bad-input-injection.ts';
import type { BadInputCase } from './bad-input-records.ts';
import { demoRecords, type RecordSpec, type ScenarioDefinition, type ScenarioRun } from './harness.ts';

/** The cases in the order the report lists them (docs/reliability.md's order). */
function cases(): BadInputCase[] {
  return [
    ...notUtf8(),
    ...unpairedSurrogates(),
    ...truncatedJson(),
    ...overOneMegabyte(),
    ...nestedDeep(),
    ...prototypeKeys(),
    ...sqlInjection(),
    ...wrongTypes(),
    ...absurdTimestamps(),
    ...badEventIds(),
    ...sameEventId(),
    ...unknownVersions(),
    ...noValue(),
    ...binaryHeaders(),
  ];
}

/** The cases of each run (made afresh per run: event ids are unique). */
const casesOf = new WeakMap<ScenarioRun, BadInputCase[]>();

export const badInput: ScenarioDefinition = {
  name: 'bad-input',
  what: 'every kind of bad input below, mixed into a demo stream; each record checked against its documented outcome',
  async run(run, size) {
    const current = cases();
    casesOf.set(run, current);
    const [[dims]] = (await run.conn.query('SELECT COUNT(*) AS n FROM dim_user')) as unknown as [
      [{ n: string }],
    ];
    run.marks.set('dim_user rows', Number(dims.n));
    const runner = run.startRunner();
    await runner.started();
    // The bad records spread evenly through the background stream.
    const bad = current.flatMap((c) => c.records);
    const background = [...demoRecords(run, size.background, { seed: 5 })];
    const every = Math.max(1, Math.floor(background.length / (bad.length + 1)));
    const stream: RecordSpec[] = [];
    background.forEach((record, i) => {
      stream.push(record);
      if ((i + 1) % every === 0 && bad.length > 0) stream.push(bad.shift()!);
    });
    stream.push(...bad);
    await run.produce(stream, { chunk: 50, ratePerSecond: 500 });
    await run.drained(15 * 60_000);
    await run.stopRunners();
    return [
      `${current.reduce((n, c) => n + c.records.length, 0)} bad records of ${current.length} kinds among ${size.background} demo records`,
    ];
  },
  async verify(run, records) {
    const failures: string[] = [];
    for (const c of casesOf.get(run) ?? [])
      failures.push(...((await c.verify?.(run, records)) ?? []).map((f) => `${c.label}: ${f}`));
    return failures;
  },
  report(run, records, placeOf) {
    const rows: string[][] = [['bad input', 'records', 'observed', 'documented outcome']];
    for (const c of casesOf.get(run) ?? []) {
      const mine = records.flatMap((r, i) => (c.records.includes(r.spec) ? [placeOf[i]!] : []));
      const observed = [
        ...new Set(mine.map((p) => (p.place === 'dead-letter' ? `dead-letter ${p.detail}` : p.place))),
      ]
        .sort()
        .join(', ');
      rows.push([c.label, String(mine.length), observed, c.outcome]);
    }
    return table(rows);
  },
};

export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r, j) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .concat(j === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : ''),
  );
}
