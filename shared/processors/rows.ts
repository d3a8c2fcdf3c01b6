/** Column groups every processor fills the same way. */
import type { ProductDimension, UserDimension } from '../cache/dimensions.ts';
import type { BusinessEvent } from '../events/business-event.ts';
import { eventOrderKey, type Row } from '../mysql/tables.ts';
import type { RecordCoordinates } from './processor.ts';

export function eventColumns(event: BusinessEvent<unknown>, record: RecordCoordinates): Row {
  return {
    event_id: event.eventId,
    event_type: event.type,
    event_time: new Date(event.timestamp),
    event_version: event.version,
    source: event.source,
    kafka_topic: record.topic,
    kafka_partition: record.partition,
    kafka_offset: record.offset,
  };
}

export function userColumns(dimension: UserDimension | null): Row {
  return {
    user_name: dimension?.user_name ?? null,
    user_level: dimension?.user_level ?? null,
    region: dimension?.region ?? null,
  };
}

export function productColumns(dimension: ProductDimension | null): Row {
  return {
    product_name: dimension?.product_name ?? null,
    category: dimension?.category ?? null,
    brand: dimension?.brand ?? null,
  };
}

/** The columns that order a state row's events ("newest wins"). */
export function stateOrderColumns(event: BusinessEvent<unknown>): Row {
  return {
    last_event_time: new Date(event.timestamp),
    last_event_key: orderKey(event),
  };
}

/** The event's order key; `at` replaces the event time (an order's payTime, a loginTime). */
export function orderKey(event: BusinessEvent<unknown>, at = event.timestamp): string {
  return eventOrderKey(at, event.version, event.eventId);
}
