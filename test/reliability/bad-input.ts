/**
 * Bad input, each kind with its documented outcome (docs/reliability.md, "Bad input"), mixed into a demo stream
 * on one topic and one schema. Every record carries its expected outcome (written, absorbed as a
 * duplicate, or dead-lettered with a reason), which the accounting checks; some kinds have checks of
 * their own (SQL-injection text stored verbatim and nothing executed, first write wins, raw bytes,
 * keys and header bytes kept in the dead letters).
 */

import { TABLES } from '../../shared/domains/registry.ts';
import { DEFAULT_MAX_EVENT_BYTES } from '../../shared/pipeline/decode.ts';
import type { PermanentReason } from '../../shared/pipeline/errors.ts';
import { businessEvent, type Json } from '../support/events.ts';
import type { ProducedEvent } from './expected-state.ts';
import {
  demoRecords,
  type RecordSpec,
  type ScenarioDefinition,
  type ScenarioRun,
  type TopicRecord,
} from './harness.ts';

interface BadInputCase {
  label: string;
  /** The documented outcome, as docs/reliability.md states it. */
  outcome: string;
  records: RecordSpec[];
  verify?(run: ScenarioRun, records: readonly TopicRecord[]): Promise<string[]>;
}

type Domain = 'user' | 'order' | 'product';

const text = (value: Json) => JSON.stringify(value);
const keyOf = (event: Json) => {
  const p = event.payload as Record<string, unknown>;
  return String(p.orderId ?? p.userId ?? p.productId ?? event.eventId);
};

/** A valid event, expected in its wide table; `event` is what it says (the state is recomputed from it). */
function written(
  label: string,
  event: Json,
  value: string | Buffer = text(event),
  extra: Partial<RecordSpec> = {},
): RecordSpec {
  return {
    key: keyOf(event),
    value,
    expect: {
      kind: 'event',
      eventId: String(event.eventId),
      domain: event.domain as Domain,
      event: event as unknown as ProducedEvent,
    },
    label,
    ...extra,
  };
}

/** A record expected in event_dead_letter with `reason`. */
function deadLetter(
  label: string,
  reason: PermanentReason,
  value: string | Buffer | null,
  extra: Partial<RecordSpec> = {},
): RecordSpec {
  return {
    key: `${label}-${Math.random().toString(36).slice(2, 8)}`,
    value,
    expect: { kind: 'dead-letter', reason },
    label,
    ...extra,
  };
}

/** The event's JSON with `placeholder` (a JSON string in it) replaced by raw `replacement` text or bytes. */
function spliced(event: Json, placeholder: string, replacement: string | Buffer): Buffer {
  const json = text(event);
  const at = json.indexOf(JSON.stringify(placeholder));
  if (at < 0) throw new Error(`no ${placeholder} in ${json}`);
  return Buffer.concat([
    Buffer.from(json.slice(0, at)),
    Buffer.from(replacement),
    Buffer.from(json.slice(at + JSON.stringify(placeholder).length)),
  ]);
}

const DEPTH = 10_000;
const deepObject = `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;
const deepArray = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;

/** Values a careless sink would run as SQL; each fits the field it is put in. */
const INJECTIONS = [
  `'); DROP TABLE user_event_wide; --`,
  `' OR '1'='1`,
  `"; DELETE FROM dim_user; --`,
  `\\'; UPDATE user_profile_wide SET login_count = 999; #`,
  `1; SELECT SLEEP(30); --`,
  `x' UNION SELECT user(), version() --x`,
  `Robert'); DROP TABLE order_wide;--`,
  `%_\\%'/**/OR/**/1=1/*`,
];
const inj = (i: number, max = 64) => INJECTIONS[i % INJECTIONS.length]!.slice(0, max);

function cases(): BadInputCase[] {
  const list: BadInputCase[] = [];

  // ------------------------------------------------------------------------- not UTF-8
  const latin = businessEvent('user_login', {}, { device: '@@' });
  const surrogate = businessEvent('user_view', {}, { page: '@@' });
  list.push({
    label: 'invalid UTF-8',
    outcome: 'dead-lettered `not_utf8` (raw bytes kept)',
    records: [
      deadLetter('invalid UTF-8', 'not_utf8', Buffer.from([0xc3, 0x28, 0xa0, 0xa1])),
      deadLetter('invalid UTF-8', 'not_utf8', spliced(latin, '@@', Buffer.from([0x22, 0xff, 0xfe, 0x22]))),
      // An encoded UTF-16 surrogate (CESU-8) is not UTF-8 either.
      deadLetter(
        'invalid UTF-8',
        'not_utf8',
        spliced(surrogate, '@@', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])),
      ),
    ],
  });

  // ---------------------------------------------------- unpaired surrogate escapes in JSON
  // Valid UTF-8 and valid JSON, but the strings cannot be stored: UTF-8 has no unpaired surrogate.
  const surrogates = 'unpaired surrogate escape (`"\\ud800"`)';
  list.push({
    label: surrogates,
    outcome:
      'dead-lettered `schema` (stored, it would become U+FFFD and merge distinct ids); a real pair (😀): written',
    records: [
      deadLetter(surrogates, 'schema', text(businessEvent('user_login', {}, { userId: 'lone-\ud800' }))),
      deadLetter(surrogates, 'schema', text(businessEvent('user_login', {}, { userId: 'lone-\udbff' }))),
      deadLetter(surrogates, 'schema', text(businessEvent('order_cancel', {}, { reason: 'late \udfff' }))),
      deadLetter(surrogates, 'schema', text(businessEvent('product_view', { source: 'pos-\ud83d' }))),
      written(surrogates, businessEvent('user_login', {}, { userId: 'smile-😀', device: '📱' })),
    ],
  });

  // ----------------------------------------------------------------------- truncated JSON
  const truncated = text(businessEvent('order_create'));
  list.push({
    label: 'truncated JSON',
    outcome: 'dead-lettered `not_json`',
    records: [
      deadLetter('truncated JSON', 'not_json', truncated.slice(0, Math.floor(truncated.length / 2))),
      deadLetter('truncated JSON', 'not_json', truncated.slice(0, -1)),
    ],
  });

  // ------------------------------------------------------------------------ over 1 MB
  const exact = businessEvent('user_login');
  const exactText = text(exact);
  const over = businessEvent('user_login');
  const overText = text(over);
  list.push({
    label: 'value over 1 MB',
    outcome:
      'over 1 MiB (`MAX_EVENT_BYTES`): dead-lettered `oversize` with all its bytes; exactly 1 MiB: written',
    records: [
      deadLetter(
        'value over 1 MB',
        'oversize',
        overText + ' '.repeat(DEFAULT_MAX_EVENT_BYTES + 1 - overText.length),
      ),
      written('value over 1 MB', exact, exactText + ' '.repeat(DEFAULT_MAX_EVENT_BYTES - exactText.length)),
    ],
    async verify(run, records) {
      const record = records.find(
        (r) => r.spec.label === 'value over 1 MB' && r.spec.expect.kind === 'dead-letter',
      )!;
      const [[row]] = (await run.conn.query(
        'SELECT LENGTH(record_value) AS n FROM event_dead_letter WHERE kafka_topic = ? AND kafka_partition = ? AND kafka_offset = ?',
        [run.topic, record.partition, record.offset],
      )) as unknown as [[{ n: string } | undefined]];
      return Number(row?.n) === DEFAULT_MAX_EVENT_BYTES + 1
        ? []
        : [`oversize dead letter keeps ${row?.n} bytes`];
    },
  });

  // ----------------------------------------------------------------- nested 10,000 deep
  const deepExtra = businessEvent('user_view', {}, { extra: '@@' });
  const deepPage = businessEvent('user_view', {}, { page: '@@' });
  list.push({
    label: 'JSON nested 10,000 deep',
    outcome:
      'as a whole value or in a known field: dead-lettered `schema`; in a field the schema does not know: written (unknown fields are dropped)',
    records: [
      deadLetter('JSON nested 10,000 deep', 'schema', deepArray),
      deadLetter('JSON nested 10,000 deep', 'schema', spliced(deepPage, '@@', deepArray)),
      written('JSON nested 10,000 deep', deepExtra, spliced(deepExtra, '@@', deepObject)),
    ],
  });

  // --------------------------------------------------------------- __proto__, constructor
  // A view without productId and durationMs, whose payload's "__proto__" key carries both.
  const proto = businessEvent('user_view', {}, { userId: 'proto-keys' });
  delete (proto.payload as Json).productId;
  delete (proto.payload as Json).durationMs;
  const protoText = text(proto)
    .replace(
      /^\{/,
      '{"__proto__":{"domain":"order","type":"order_create"},"constructor":{"prototype":{"polluted":true}},',
    )
    .replace(
      '"payload":{',
      '"payload":{"__proto__":{"userId":"evil","productId":"evil","durationMs":5},"constructor":{"name":"evil"},',
    );
  const protoIds = [
    businessEvent('user_login', {}, { userId: '__proto__' }),
    businessEvent('user_view', {}, { userId: 'constructor', productId: '__proto__' }),
    businessEvent(
      'order_create',
      {},
      { orderId: '__proto__', userId: 'hasOwnProperty', productId: 'constructor' },
    ),
    businessEvent('order_pay', {}, { orderId: '__proto__', userId: 'hasOwnProperty' }),
    businessEvent('product_view', {}, { productId: 'toString', userId: '__proto__' }),
  ];
  list.push({
    label: '`__proto__` and `constructor` keys',
    outcome:
      'as JSON keys: ignored (plain data, no prototype change), the event written as its own fields say; as ids: written like any id',
    records: [
      written('`__proto__` and `constructor` keys', proto, protoText),
      ...protoIds.map((e) => written('`__proto__` and `constructor` keys', e)),
    ],
    async verify(run) {
      const failures: string[] = [];
      const [[row]] = (await run.conn.query(
        'SELECT event_type, user_id, product_id, duration_ms FROM user_event_wide WHERE event_id = ?',
        [proto.eventId],
      )) as unknown as [[Record<string, unknown> | undefined]];
      if (
        row?.event_type !== 'user_view' ||
        row.user_id !== 'proto-keys' ||
        row.product_id !== null ||
        row.duration_ms !== null
      ) {
        failures.push(`__proto__ payload keys changed the row: ${JSON.stringify(row)}`);
      }
      const [profiles] = (await run.conn.query(
        `SELECT user_id FROM user_profile_wide WHERE user_id IN ('__proto__', 'constructor', 'hasOwnProperty') ORDER BY user_id`,
      )) as unknown as [Array<{ user_id: string }>];
      if (profiles.length !== 2)
        failures.push(`profiles of ids named like prototype keys: ${JSON.stringify(profiles)}`);
      const [[order]] = (await run.conn.query(
        `SELECT status, user_id FROM order_wide WHERE order_id = '__proto__'`,
      )) as unknown as [[{ status: string; user_id: string } | undefined]];
      if (order?.user_id !== 'hasOwnProperty') failures.push(`order __proto__: ${JSON.stringify(order)}`);
      return failures;
    },
  });

  // ----------------------------------------------------------------------- SQL injection
  let n = 0;
  const source = () => inj(n++);
  const eventId = (i: number) => `inj'OR'1'='1';DROP/**/TABLE/**/user_event_wide;--${i}`;
  const injected: Array<{ event: Json; columns: Record<string, unknown>; table: string }> = [];
  const add = (type: string, payload: Json, table: string, columns: (p: Json) => Record<string, unknown>) => {
    const event = businessEvent(type, { eventId: eventId(injected.length), source: source() }, payload);
    injected.push({ event, table, columns: { source: event.source, ...columns(event.payload as Json) } });
  };
  add('user_login', { userId: inj(0), device: inj(1), ip: inj(2, 45) }, 'user_event_wide', (p) => ({
    user_id: p.userId,
    device: p.device,
    ip: p.ip,
  }));
  add(
    'user_view',
    { userId: inj(3), page: `\u0000${inj(4, 200)}\\0\\n`, productId: inj(5) },
    'user_event_wide',
    (p) => ({
      user_id: p.userId,
      page: p.page,
      product_id: p.productId,
    }),
  );
  add('user_purchase', { userId: inj(6), orderId: inj(7), productId: inj(0) }, 'user_event_wide', (p) => ({
    user_id: p.userId,
    order_id: p.orderId,
    product_id: p.productId,
  }));
  add('order_create', { orderId: inj(1), userId: inj(2), productId: inj(3) }, 'order_event_wide', (p) => ({
    order_id: p.orderId,
    user_id: p.userId,
    product_id: p.productId,
  }));
  add('order_pay', { orderId: inj(1), userId: inj(2), payMethod: inj(4, 32) }, 'order_event_wide', (p) => ({
    order_id: p.orderId,
    pay_method: p.payMethod,
  }));
  add(
    'order_cancel',
    { orderId: inj(5), userId: inj(6), reason: INJECTIONS.join(' ').slice(0, 255) },
    'order_event_wide',
    (p) => ({
      order_id: p.orderId,
      cancel_reason: p.reason,
    }),
  );
  add(
    'product_view',
    { productId: inj(7), userId: inj(0), referrer: inj(1, 255) },
    'product_event_wide',
    (p) => ({
      product_id: p.productId,
      user_id: p.userId,
      referrer: p.referrer,
    }),
  );
  add('product_search', { keyword: inj(2, 255), userId: inj(3) }, 'product_event_wide', (p) => ({
    keyword: p.keyword,
    user_id: p.userId,
  }));
  add(
    'product_recommend',
    { userId: inj(4), productIds: INJECTIONS.map((_, i) => inj(i)), scene: inj(5) },
    'product_event_wide',
    (p) => ({
      user_id: p.userId,
      recommended_product_ids: p.productIds,
      scene: p.scene,
    }),
  );
  list.push({
    label: 'SQL-injection text in every string field',
    outcome:
      'written, every value stored verbatim; nothing executed (values are always statement parameters)',
    records: injected.map(({ event }) => written('SQL-injection text in every string field', event)),
    async verify(run) {
      const failures: string[] = [];
      for (const { event, table, columns } of injected) {
        const [[row]] = (await run.conn.query(`SELECT * FROM ${table} WHERE event_id = ?`, [
          event.eventId,
        ])) as unknown as [[Record<string, unknown> | undefined]];
        if (!row) {
          failures.push(`${event.type} ${event.eventId}: no row`);
          continue;
        }
        for (const [column, want] of Object.entries(columns)) {
          const got =
            column === 'recommended_product_ids' && typeof row[column] === 'string'
              ? JSON.parse(row[column] as string)
              : row[column];
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            failures.push(
              `${table}.${column} of ${event.type}: ${JSON.stringify(got)}, sent ${JSON.stringify(want)}`,
            );
          }
        }
      }
      // Nothing executed: every table still there, the dimension rows untouched, no counter set to 999.
      const [[tables]] = (await run.conn.query(
        'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ?',
        [run.db.name],
      )) as unknown as [[{ n: string }]];
      if (Number(tables.n) !== TABLES.length + 1)
        failures.push(`${tables.n} tables in the schema, want ${TABLES.length + 1}`);
      const [[dims]] = (await run.conn.query('SELECT COUNT(*) AS n FROM dim_user')) as unknown as [
        [{ n: string }],
      ];
      if (Number(dims.n) !== run.marks.get('dim_user rows')) failures.push(`dim_user has ${dims.n} rows`);
      const [[odd]] = (await run.conn.query(
        'SELECT COUNT(*) AS n FROM user_profile_wide WHERE login_count = 999',
      )) as unknown as [[{ n: string }]];
      if (Number(odd.n) > 0) failures.push('a profile counter was set to 999');
      return failures;
    },
  });

  // -------------------------------------------------------------------------- wrong types
  list.push({
    label: 'wrong types',
    outcome: 'dead-lettered `schema`',
    records: [
      deadLetter('wrong types', 'schema', text(businessEvent('order_create', {}, { quantity: '2' }))),
      deadLetter('wrong types', 'schema', text(businessEvent('user_login', {}, { userId: 42 }))),
      deadLetter('wrong types', 'schema', text(businessEvent('user_purchase', {}, { amount: true }))),
      deadLetter('wrong types', 'schema', text(businessEvent('product_search', {}, { resultCount: 1.5 }))),
      deadLetter('wrong types', 'schema', text({ ...businessEvent('user_view'), payload: [] })),
      deadLetter('wrong types', 'schema', text({ ...businessEvent('user_view'), domain: 7 })),
      deadLetter('wrong types', 'schema', text({ ...businessEvent('order_pay'), version: 1.0 })),
    ],
  });

  // -------------------------------------------------------------------- absurd timestamps
  const atY2k = businessEvent('user_login', { timestamp: Date.UTC(2000, 0, 1) });
  list.push({
    label: 'absurd timestamps (negative, year 3000, numeric strings)',
    outcome:
      'dead-lettered `schema` (event and payload times are integer epoch ms from 2000 to 2100); 2000-01-01T00:00:00Z itself: written',
    records: [
      deadLetter('absurd timestamps', 'schema', text(businessEvent('user_login', { timestamp: -1 }))),
      deadLetter(
        'absurd timestamps',
        'schema',
        text(businessEvent('user_login', { timestamp: Date.UTC(3000, 0, 1) })),
      ),
      deadLetter(
        'absurd timestamps',
        'schema',
        text(businessEvent('user_login', { timestamp: String(Date.UTC(2026, 0, 1)) })),
      ),
      deadLetter(
        'absurd timestamps',
        'schema',
        text(businessEvent('user_login', { timestamp: Date.UTC(2000, 0, 1) - 1 })),
      ),
      deadLetter(
        'absurd timestamps',
        'schema',
        text(businessEvent('user_login', {}, { loginTime: Date.UTC(3000, 0, 1) })),
      ),
      deadLetter(
        'absurd timestamps',
        'schema',
        text(businessEvent('order_pay', {}, { payTime: -86_400_000 })),
      ),
      deadLetter(
        'absurd timestamps',
        'schema',
        text(businessEvent('order_pay', {}, { payTime: '1764000000000' })),
      ),
      written('absurd timestamps', atY2k),
    ].map((r) => ({ ...r, label: 'absurd timestamps (negative, year 3000, numeric strings)' })),
  });

  // -------------------------------------------------------------------------------- eventId
  const { eventId: _, ...noId } = businessEvent('product_view');
  const longest = businessEvent('product_view', { eventId: `e${'x'.repeat(62)}9` });
  list.push({
    label: 'eventId missing, oversized or whitespace-padded',
    outcome: 'dead-lettered `schema` (1-64 visible ASCII characters); 64 characters: written',
    records: [
      deadLetter('eventId', 'schema', text(noId)),
      deadLetter(
        'eventId',
        'schema',
        text(businessEvent('product_view', { eventId: `e${'x'.repeat(63)}9` })),
      ),
      deadLetter('eventId', 'schema', text(businessEvent('product_view', { eventId: ' evt-padded ' }))),
      deadLetter('eventId', 'schema', text(businessEvent('product_view', { eventId: 'evt-padded\t' }))),
      deadLetter('eventId', 'schema', text(businessEvent('product_view', { eventId: '' }))),
      written('eventId', longest),
    ].map((r) => ({ ...r, label: 'eventId missing, oversized or whitespace-padded' })),
  });

  // ---------------------------------------------------------- same eventId, other content
  const first = businessEvent('user_login', {}, { userId: 'same-id-user', device: 'first' });
  const second = { ...first, payload: { ...(first.payload as Json), device: 'second' } };
  const asView = businessEvent('user_view', { eventId: first.eventId }, { userId: 'same-id-user' });
  const otherDomain = businessEvent(
    'product_view',
    { eventId: first.eventId },
    { productId: 'same-id-product' },
  );
  const label = 'same eventId, different content';
  list.push({
    label,
    outcome:
      'first write wins: the later record is absorbed as a duplicate (counted `DuplicatesAbsorbed`) and changes nothing; in another domain the same id is another event (one row per domain table)',
    records: [
      written(label, first),
      written(label, second),
      written(label, asView),
      written(label, otherDomain),
    ],
    async verify(run, records) {
      const failures: string[] = [];
      const mine = records.filter((r) => r.spec.label === label);
      const [[row]] = (await run.conn.query(
        'SELECT event_type, device, kafka_partition, kafka_offset FROM user_event_wide WHERE event_id = ?',
        [first.eventId],
      )) as unknown as [
        [{ event_type: string; device: string; kafka_partition: number; kafka_offset: string } | undefined],
      ];
      const firstRecord = mine.find((r) => r.spec.value === text(first));
      if (
        row?.device !== 'first' ||
        row.event_type !== 'user_login' ||
        Number(row.kafka_offset) !== firstRecord?.offset
      ) {
        failures.push(`same eventId: the row is ${JSON.stringify(row)}, not the first record's`);
      }
      const [[profile]] = (await run.conn.query(
        `SELECT login_count, view_count FROM user_profile_wide WHERE user_id = 'same-id-user'`,
      )) as unknown as [[{ login_count: string; view_count: string } | undefined]];
      if (profile?.login_count !== '1' || profile.view_count !== '0') {
        failures.push(`same eventId: profile counted ${JSON.stringify(profile)}`);
      }
      return failures;
    },
  });

  // ------------------------------------------------------------------------------- versions
  const newerMinor = businessEvent('order_create', { version: '1.7' }, { giftWrap: true });
  list.push({
    label: 'unknown version',
    outcome:
      'unknown major (`2.0`): dead-lettered `unknown_version`; a newer minor (`1.7`): written, read with the newest 1.x schema (unknown fields dropped); not `major.minor`: `schema`',
    records: [
      deadLetter(
        'unknown version',
        'unknown_version',
        text(businessEvent('order_create', { version: '2.0' })),
      ),
      deadLetter('unknown version', 'unknown_version', text(businessEvent('user_login', { version: '0.9' }))),
      deadLetter('unknown version', 'schema', text(businessEvent('user_login', { version: 'v1' }))),
      written('unknown version', newerMinor),
    ],
  });

  // ------------------------------------------------------------ empty, tombstone, key only
  list.push({
    label: 'empty value',
    outcome: 'dead-lettered `no_value`',
    records: [deadLetter('empty value', 'no_value', Buffer.alloc(0))],
  });
  list.push({
    label: 'tombstone (null value)',
    outcome: 'dead-lettered `no_value`, key and headers kept',
    records: [deadLetter('tombstone', 'no_value', null, { key: `order-${Date.now()}` })],
  });
  const onlyKey = `only-a-key-${Math.random().toString(36).slice(2, 10)}`;
  list.push({
    label: 'a record with only a key',
    outcome: 'dead-lettered `no_value`, the key kept in `record_key`',
    records: [deadLetter('only a key', 'no_value', null, { key: onlyKey, seqHeader: false })],
    async verify(run, records) {
      const record = records.find((r) => r.spec.key === onlyKey)!;
      const [[row]] = (await run.conn.query(
        'SELECT record_key, headers FROM event_dead_letter WHERE kafka_topic = ? AND kafka_partition = ? AND kafka_offset = ?',
        [run.topic, record.partition, record.offset],
      )) as unknown as [[{ record_key: Buffer; headers: unknown } | undefined]];
      const headers = typeof row?.headers === 'string' ? JSON.parse(row.headers) : row?.headers;
      return row?.record_key?.toString() === onlyKey && JSON.stringify(headers) === '[]'
        ? []
        : [`only a key: dead letter ${JSON.stringify({ key: row?.record_key?.toString(), headers })}`];
    },
  });

  // ---------------------------------------------------------------------- binary headers
  const bytes = Buffer.from([0xff, 0x00, 0x80, 0xfe, 0xc3]);
  const headerLabel = 'binary header values';
  list.push({
    label: headerLabel,
    outcome: 'ignored by a valid event (written); kept byte for byte (base64, no text) in a dead letter',
    records: [
      written(headerLabel, businessEvent('user_login'), undefined, { headers: [['trace', bytes]] }),
      deadLetter(headerLabel, 'not_json', 'not json at all', {
        headers: [
          ['trace', bytes],
          ['trace', Buffer.alloc(0)],
        ],
      }),
    ],
    async verify(run, records) {
      const record = records.find(
        (r) => r.spec.label === headerLabel && r.spec.expect.kind === 'dead-letter',
      )!;
      const [[row]] = (await run.conn.query(
        'SELECT headers FROM event_dead_letter WHERE kafka_topic = ? AND kafka_partition = ? AND kafka_offset = ?',
        [run.topic, record.partition, record.offset],
      )) as unknown as [[{ headers: unknown } | undefined]];
      const headers = (typeof row?.headers === 'string' ? JSON.parse(row.headers) : row?.headers) as Array<{
        name: string;
        value: string;
        text?: string;
      }>;
      const trace = headers?.filter((h) => h.name === 'trace') ?? [];
      const ok =
        trace.length === 2 &&
        trace[0]!.value === bytes.toString('base64') &&
        trace[0]!.text === undefined &&
        trace[1]!.value === '' &&
        trace[1]!.text === '';
      return ok ? [] : [`binary headers stored as ${JSON.stringify(headers)}`];
    },
  });
  return list;
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
