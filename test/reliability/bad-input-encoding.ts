/**
 * Bad input in the bytes and the JSON structure (docs/reliability.md, "Bad input"): not UTF-8, unpaired
 * surrogates, truncated, over 1 MB, nested 10,000 deep, prototype keys.
 */

import { DEFAULT_MAX_EVENT_BYTES } from '../../shared/pipeline/decode.ts';
import { businessEvent, type Json } from '../support/events.ts';
import { type BadInputCase, deadLetter, spliced, text, written } from './bad-input-records.ts';

const DEPTH = 10_000;
const deepObject = `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;
const deepArray = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;

/** Bytes that are not UTF-8. */
export function notUtf8(): BadInputCase[] {
  const latin = businessEvent('user_login', {}, { device: '@@' });
  const surrogate = businessEvent('user_view', {}, { page: '@@' });
  return [
    {
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
    },
  ];
}

/** Unpaired surrogate escapes in JSON. */
export function unpairedSurrogates(): BadInputCase[] {
  // Valid UTF-8 and valid JSON, but the strings cannot be stored: UTF-8 has no unpaired surrogate.
  const surrogates = 'unpaired surrogate escape (`"\\ud800"`)';
  return [
    {
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
    },
  ];
}

/** Truncated JSON. */
export function truncatedJson(): BadInputCase[] {
  const truncated = text(businessEvent('order_create'));
  return [
    {
      label: 'truncated JSON',
      outcome: 'dead-lettered `not_json`',
      records: [
        deadLetter('truncated JSON', 'not_json', truncated.slice(0, Math.floor(truncated.length / 2))),
        deadLetter('truncated JSON', 'not_json', truncated.slice(0, -1)),
      ],
    },
  ];
}

/** A value over 1 MB, and one of exactly 1 MiB. */
export function overOneMegabyte(): BadInputCase[] {
  const exact = businessEvent('user_login');
  const exactText = text(exact);
  const over = businessEvent('user_login');
  const overText = text(over);
  return [
    {
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
    },
  ];
}

/** JSON nested 10,000 deep. */
export function nestedDeep(): BadInputCase[] {
  const deepExtra = businessEvent('user_view', {}, { extra: '@@' });
  const deepPage = businessEvent('user_view', {}, { page: '@@' });
  return [
    {
      label: 'JSON nested 10,000 deep',
      outcome:
        'as a whole value or in a known field: dead-lettered `schema`; in a field the schema does not know: written (unknown fields are dropped)',
      records: [
        deadLetter('JSON nested 10,000 deep', 'schema', deepArray),
        deadLetter('JSON nested 10,000 deep', 'schema', spliced(deepPage, '@@', deepArray)),
        written('JSON nested 10,000 deep', deepExtra, spliced(deepExtra, '@@', deepObject)),
      ],
    },
  ];
}

/** `__proto__` and `constructor` as keys and as ids. */
export function prototypeKeys(): BadInputCase[] {
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
  return [
    {
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
    },
  ];
}
