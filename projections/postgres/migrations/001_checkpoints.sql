-- Where each PostgreSQL projection has folded the log to, per partition: the next offset it
-- has yet to apply. A batch of events and its checkpoint rows commit in one transaction, and a
-- checkpoint only advances by compare-and-set (UPDATE ... WHERE next_offset = expected), so a
-- second projector working from a stale checkpoint changes nothing (DESIGN: rules of the read
-- side). `version` is the projection's version: a rebuild writes version N+1 beside N.
CREATE TABLE orderline.projection_checkpoints (
  projection  text        NOT NULL,
  version     integer     NOT NULL,
  partition   integer     NOT NULL,
  next_offset bigint      NOT NULL CHECK (next_offset >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, version, partition)
);
