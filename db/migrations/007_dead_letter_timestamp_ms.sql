-- A dead letter is always writable, and written once (shared/sink/dead-letter.ts).
-- The record's timestamp keys its dead letter as Kafka carries it, a BIGINT of epoch milliseconds,
-- with -1 (Kafka's NO_TIMESTAMP) for a record without one: DATETIME ends at year 9999 while Kafka
-- accepts later timestamps (such a record could not be dead-lettered and held up its partition),
-- and a NULL in a unique key never matches (a record without a timestamp got a new row on every
-- delivery). record_timestamp stays, for people: NULL when there is none or DATETIME cannot hold it.
-- The DEFAULT keeps an older writer (a deployment rolling back) inserting.
ALTER TABLE event_dead_letter
  ADD COLUMN record_timestamp_ms BIGINT NOT NULL DEFAULT -1 AFTER record_timestamp;
-- Existing rows: the DATETIME (UTC, written so) as epoch milliseconds, whatever the session time zone.
UPDATE event_dead_letter
   SET record_timestamp_ms = TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', record_timestamp) DIV 1000
 WHERE record_timestamp IS NOT NULL;
-- The rows a record without a timestamp got on every delivery: the first one stays.
DELETE later
  FROM event_dead_letter AS later
  JOIN event_dead_letter AS earlier
    ON earlier.kafka_topic = later.kafka_topic
   AND earlier.kafka_partition = later.kafka_partition
   AND earlier.kafka_offset = later.kafka_offset
   AND earlier.record_timestamp_ms = later.record_timestamp_ms
   AND earlier.id < later.id;
ALTER TABLE event_dead_letter
  DROP INDEX uq_dead_letter_record,
  ADD UNIQUE KEY uq_dead_letter_record (kafka_topic, kafka_partition, kafka_offset, record_timestamp_ms);
