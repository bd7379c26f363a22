-- Version 1 of the order read models. The projector writes these tables; analysts query the
-- views of schema `orderline` (003), which a rebuild re-points to a new version in one
-- transaction. Money is integer minor units with its ISO 4217 currency; times are UTC.
CREATE SCHEMA orderline_v1;

-- One row per order: its header as of the last folded event.
CREATE TABLE orderline_v1.orders (
  order_id           text        PRIMARY KEY,
  customer_id        text        NOT NULL,
  status             text        NOT NULL,  -- placed, confirmed, completed, cancelled, expired, return_requested, returned
  payment_status     text        NOT NULL,  -- not_paid, authorized, captured, refunded, voided, failed, requires_action
  fulfillment_status text        NOT NULL,  -- unfulfilled, shipped, delivered
  currency           text        NOT NULL,
  total_minor        bigint      NOT NULL,
  version            bigint      NOT NULL,  -- stream version of the last folded event
  created_at         timestamptz NOT NULL,  -- business time of the placement
  updated_at         timestamptz NOT NULL,  -- business time of the last folded event
  log_partition      integer     NOT NULL,  -- log position of the last folded event
  log_offset         bigint      NOT NULL
);
CREATE INDEX orders_customer_created ON orderline_v1.orders (customer_id, created_at DESC);
CREATE INDEX orders_created ON orderline_v1.orders (created_at);

-- The lines as placed (placement fixes them; unit prices come from the catalogue snapshot).
CREATE TABLE orderline_v1.order_lines (
  order_id         text    NOT NULL,
  line_no          integer NOT NULL,  -- 1-based, in the order the client sent them
  sku              text    NOT NULL,
  name             text    NOT NULL,
  quantity         integer NOT NULL,
  unit_price_minor bigint  NOT NULL,
  currency         text    NOT NULL,
  PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_sku ON orderline_v1.order_lines (sku);

-- Every move of the order, payment and fulfilment machines, placement included.
CREATE TABLE orderline_v1.order_status_history (
  order_id       text        NOT NULL,
  stream_version bigint      NOT NULL,
  machine        text        NOT NULL,  -- order, payment, fulfillment
  from_status    text        NOT NULL,  -- '' for the placement
  to_status      text        NOT NULL,
  at             timestamptz NOT NULL,  -- business time of the event
  reason         text        NOT NULL,
  actor          text        NOT NULL,
  event_type     text        NOT NULL,
  PRIMARY KEY (order_id, stream_version, machine)
);

-- Per customer and currency. An order counts from its placement until it is cancelled,
-- expires or is returned; a return request alone does not stop it counting.
CREATE TABLE orderline_v1.customer_summaries (
  customer_id          text        NOT NULL,
  currency             text        NOT NULL,
  orders_placed        bigint      NOT NULL,  -- every placement
  orders_cancelled     bigint      NOT NULL,  -- cancelled or expired
  orders_returned      bigint      NOT NULL,
  order_count          bigint      NOT NULL,  -- orders that count: placed - cancelled - returned
  lifetime_value_minor bigint      NOT NULL,  -- sum of the totals of the orders that count
  first_order_at       timestamptz NOT NULL,  -- first and last placement, whatever became of it
  last_order_at        timestamptz NOT NULL,
  PRIMARY KEY (customer_id, currency)
);

-- Sales by the UTC day of placement, counting the same orders as customer_summaries: a
-- cancellation or return takes the sale off the day it was placed (booking date), not the day
-- it was cancelled.
CREATE TABLE orderline_v1.daily_sales (
  day           date   NOT NULL,
  currency      text   NOT NULL,
  orders        bigint NOT NULL,
  revenue_minor bigint NOT NULL,
  PRIMARY KEY (day, currency)
);

CREATE TABLE orderline_v1.daily_product_sales (
  day           date   NOT NULL,
  sku           text   NOT NULL,
  currency      text   NOT NULL,
  quantity      bigint NOT NULL,
  revenue_minor bigint NOT NULL,  -- quantity x unit price as placed
  orders        bigint NOT NULL,  -- orders with this SKU
  PRIMARY KEY (day, sku, currency)
);
