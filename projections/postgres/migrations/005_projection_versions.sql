-- Which version of each PostgreSQL projection the stable views of schema `orderline` show. A
-- rebuild folds version N+1 into schema orderline_v<N+1> (tables created LIKE version N's), then
-- in one transaction re-points the views and records N+1 here; version N's schema is dropped.
-- No row: version 1 (the tables of migration 002).
CREATE TABLE orderline.projection_versions (
  projection   text        PRIMARY KEY,
  live_version integer     NOT NULL CHECK (live_version >= 1),
  swapped_at   timestamptz NOT NULL DEFAULT now()
);
