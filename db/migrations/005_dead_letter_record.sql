-- One dead letter per Kafka record, not per coordinate: a topic deleted and created again reuses
-- its offsets, and a new record at an old coordinate must not be absorbed by the old record's row.
-- The record's timestamp tells the two apart; the same record seen again (a retry, or every
-- function of a shared topic) has the same timestamp and still finds its first row.
ALTER TABLE event_dead_letter
  DROP INDEX uq_dead_letter_coordinates,
  ADD UNIQUE KEY uq_dead_letter_record (kafka_topic, kafka_partition, kafka_offset, record_timestamp);
