-- Indexes for staff order search (GET /api/v1/admin/orders): each sort is keyset-paginated on
-- (sort key, order_id), so a page is an index range scan whatever its depth.
CREATE INDEX orders_created_id ON orderline_v1.orders (created_at, order_id);
CREATE INDEX orders_status_created_id ON orderline_v1.orders (status, created_at, order_id);
CREATE INDEX orders_total_id ON orderline_v1.orders (total_minor, order_id);
