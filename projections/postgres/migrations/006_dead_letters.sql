-- Events the PostgreSQL projector could not fold after its retries: a poison event, whose data
-- the tables cannot hold (e.g. a NUL in a text) or that does not decode. Parked in the same
-- transaction that moves the checkpoint past it, so the read models go on; operators list,
-- retry and skip them (`orderctl deadletters`, /api/v1/admin/deadletters). `record` is the
-- log record's value, so a retry needs nothing but this row.
CREATE TABLE orderline.dead_letters (
  projection    text        NOT NULL,
  log_partition integer     NOT NULL,
  log_offset    bigint      NOT NULL,
  stream_id     text        NOT NULL,
  event_type    text        NOT NULL,  -- '' when the envelope did not decode
  error         text        NOT NULL,  -- the last failure
  attempts      integer     NOT NULL,
  parked_at     timestamptz NOT NULL DEFAULT now(),
  log_time_us   bigint      NOT NULL,
  record        bytea       NOT NULL,
  PRIMARY KEY (projection, log_partition, log_offset)
);
