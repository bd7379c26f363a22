-- The stable names analysts and tools query. They select from the live version's schema; a
-- rebuild replaces them in one transaction to point at the next version. Columns are listed
-- (no SELECT *), so adding a column to a version table never changes a view by surprise.
CREATE VIEW orderline.orders AS
  SELECT order_id, customer_id, status, payment_status, fulfillment_status, currency,
         total_minor, version, created_at, updated_at
  FROM orderline_v1.orders;

CREATE VIEW orderline.order_lines AS
  SELECT order_id, line_no, sku, name, quantity, unit_price_minor, currency
  FROM orderline_v1.order_lines;

CREATE VIEW orderline.order_status_history AS
  SELECT order_id, stream_version, machine, from_status, to_status, at, reason, actor, event_type
  FROM orderline_v1.order_status_history;

CREATE VIEW orderline.customer_summaries AS
  SELECT customer_id, currency, orders_placed, orders_cancelled, orders_returned, order_count,
         lifetime_value_minor, first_order_at, last_order_at
  FROM orderline_v1.customer_summaries;

-- Days and products whose every sale was taken back keep a row of zeros; the views hide them.
CREATE VIEW orderline.sales_per_day AS
  SELECT day, currency, orders, revenue_minor
  FROM orderline_v1.daily_sales
  WHERE orders <> 0;

CREATE VIEW orderline.sales_per_day_and_product AS
  SELECT day, sku, currency, quantity, revenue_minor, orders
  FROM orderline_v1.daily_product_sales
  WHERE orders <> 0;
