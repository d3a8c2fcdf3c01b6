/**
 * Bad input in the event's fields and the record's framing (docs/reliability.md, "Bad input"): wrong
 * types, absurd timestamps, bad or repeated eventIds, unknown versions, no value, binary headers.
 */

import { businessEvent, type Json } from '../support/events.ts';
import { type BadInputCase, deadLetter, text, written } from './bad-input-records.ts';

/** Fields of the wrong type. */
export function wrongTypes(): BadInputCase[] {
  return [
    {
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
    },
  ];
}

/** Absurd timestamps. */
export function absurdTimestamps(): BadInputCase[] {
  const atY2k = businessEvent('user_login', { timestamp: Date.UTC(2000, 0, 1) });
  return [
    {
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
    },
  ];
}

/** eventId missing, oversized or whitespace-padded. */
export function badEventIds(): BadInputCase[] {
  const { eventId: _, ...noId } = businessEvent('product_view');
  const longest = businessEvent('product_view', { eventId: `e${'x'.repeat(62)}9` });
  return [
    {
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
    },
  ];
}

/** The same eventId with other content. */
export function sameEventId(): BadInputCase[] {
  const first = businessEvent('user_login', {}, { userId: 'same-id-user', device: 'first' });
  const second = { ...first, payload: { ...(first.payload as Json), device: 'second' } };
  const asView = businessEvent('user_view', { eventId: first.eventId }, { userId: 'same-id-user' });
  const otherDomain = businessEvent(
    'product_view',
    { eventId: first.eventId },
    { productId: 'same-id-product' },
  );
  const label = 'same eventId, different content';
  return [
    {
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
    },
  ];
}

/** Unknown versions. */
export function unknownVersions(): BadInputCase[] {
  const newerMinor = businessEvent('order_create', { version: '1.7' }, { giftWrap: true });
  return [
    {
      label: 'unknown version',
      outcome:
        'unknown major (`2.0`): dead-lettered `unknown_version`; a newer minor (`1.7`): written, read with the newest 1.x schema (unknown fields dropped); not `major.minor`: `schema`',
      records: [
        deadLetter(
          'unknown version',
          'unknown_version',
          text(businessEvent('order_create', { version: '2.0' })),
        ),
        deadLetter(
          'unknown version',
          'unknown_version',
          text(businessEvent('user_login', { version: '0.9' })),
        ),
        deadLetter('unknown version', 'schema', text(businessEvent('user_login', { version: 'v1' }))),
        written('unknown version', newerMinor),
      ],
    },
  ];
}

/** Empty value, tombstone, a key only. */
export function noValue(): BadInputCase[] {
  const list: BadInputCase[] = [];
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
  return list;
}

/** Binary header values. */
export function binaryHeaders(): BadInputCase[] {
  const bytes = Buffer.from([0xff, 0x00, 0x80, 0xfe, 0xc3]);
  const headerLabel = 'binary header values';
  return [
    {
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
    },
  ];
}
