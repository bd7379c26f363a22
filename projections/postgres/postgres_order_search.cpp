#include "projections/postgres/postgres_order_search.h"

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>

namespace orderline::projections::pg {
namespace {

// Microseconds since the epoch <-> timestamptz, exactly (extract(epoch) is numeric since PG 14).
std::string timestamp_of(const std::string& placeholder) {
  return "(to_timestamp(0) + " + placeholder + "::bigint * interval '1 microsecond')";
}
constexpr const char* kMicros = "(extract(epoch from %s) * 1000000)::bigint";

std::string micros_of(const char* column) {
  std::string text = kMicros;
  text.replace(text.find("%s"), 2, column);
  return text;
}

// The SQL text with $n placeholders, and the values to bind to them in order.
struct Statement {
  std::string sql;
  std::vector<std::string> values;

  std::string bind(std::string value) {
    values.push_back(std::move(value));
    return "$" + std::to_string(values.size());
  }
};

Statement build(const OrderSearchQuery& q) {
  const bool by_total = q.sort == OrderSort::total_desc || q.sort == OrderSort::total_asc;
  const bool descending = q.sort == OrderSort::created_desc || q.sort == OrderSort::total_desc;
  const std::string key_column = by_total ? "total_minor" : "created_at";

  Statement s;
  s.sql = "SELECT order_id, customer_id, status, payment_status, fulfillment_status, currency, total_minor, "
          "version, " + micros_of("created_at") + ", " + micros_of("updated_at") +
          " FROM orderline.orders WHERE true";
  if (q.status) s.sql += " AND status = " + s.bind(*q.status);
  if (q.customer_id) s.sql += " AND customer_id = " + s.bind(*q.customer_id);
  if (q.currency) s.sql += " AND currency = " + s.bind(*q.currency);
  if (q.created_from_us) s.sql += " AND created_at >= " + timestamp_of(s.bind(std::to_string(*q.created_from_us)));
  if (q.created_to_us) s.sql += " AND created_at < " + timestamp_of(s.bind(std::to_string(*q.created_to_us)));
  if (q.min_total_minor) s.sql += " AND total_minor >= " + s.bind(std::to_string(*q.min_total_minor)) + "::bigint";
  if (q.after) {
    const auto key = s.bind(std::to_string(q.after->key));
    const auto key_value = by_total ? key + "::bigint" : timestamp_of(key);
    s.sql += " AND (" + key_column + ", order_id) " + (descending ? "<" : ">") + " (" + key_value + ", " +
             s.bind(q.after->order_id) + ")";
  }
  const char* direction = descending ? " DESC" : " ASC";
  s.sql += " ORDER BY " + key_column + direction + ", order_id" + direction;
  // One row more than asked tells whether another page follows.
  s.sql += " LIMIT " + std::to_string(q.limit + 1);
  return s;
}

}  // namespace

OrderSearchPage run_order_search(pqxx::connection& connection, const OrderSearchQuery& query) {
  const auto statement = build(query);
  pqxx::read_transaction tx(connection, "order-search");
  const auto rows = tx.exec_params(statement.sql,
                                   pqxx::prepare::make_dynamic_params(statement.values.begin(), statement.values.end()));
  OrderSearchPage page;
  for (const auto& r : rows) {
    if (page.rows.size() == query.limit) {
      page.next_cursor = encode_order_cursor(cursor_after(page.rows.back(), query.sort));
      break;
    }
    OrderSearchRow row;
    row.order_id = r[0].as<std::string>();
    row.customer_id = r[1].as<std::string>();
    row.status = r[2].as<std::string>();
    row.payment_status = r[3].as<std::string>();
    row.fulfillment_status = r[4].as<std::string>();
    row.currency = r[5].as<std::string>();
    row.total_minor = r[6].as<std::int64_t>();
    row.version = r[7].as<std::int64_t>();
    row.created_at_us = r[8].as<std::int64_t>();
    row.updated_at_us = r[9].as<std::int64_t>();
    page.rows.push_back(std::move(row));
  }
  return page;
}

PostgresOrderSearch::PostgresOrderSearch(PostgresOrderSearchOptions options) : options_(std::move(options)) {
  if (options_.workers == 0) options_.workers = 1;
  for (std::size_t i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { work(); });
}

PostgresOrderSearch::~PostgresOrderSearch() {
  std::deque<Job> refused;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    refused.swap(queue_);
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
  for (auto& job : refused) {
    job.done({OrderSearchResult::Status::unavailable, "the server is shutting down", {}});
  }
}

bool PostgresOrderSearch::submit(OrderSearchQuery query, std::function<void(OrderSearchResult)> done) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.queue_limit) return false;
    queue_.push_back({std::move(query), std::move(done)});
  }
  wake_.notify_one();
  return true;
}

void PostgresOrderSearch::work() {
  std::unique_ptr<pqxx::connection> connection;
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    OrderSearchResult result;
    try {
      if (!connection || !connection->is_open()) {
        connection = std::make_unique<pqxx::connection>(options_.dsn);
        pqxx::nontransaction setup(*connection);
        setup.exec("SET application_name = 'orderline-order-search'");
        setup.exec("SET statement_timeout = " + std::to_string(options_.statement_timeout_ms));
      }
      result.page = run_order_search(*connection, job.query);
    } catch (const std::exception& error) {
      // The next query reconnects; this one is answered 503 with the reason.
      if (connection && !connection->is_open()) connection.reset();
      if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) connection.reset();
      result.status = OrderSearchResult::Status::unavailable;
      result.error = error.what();
      spdlog::warn("order search failed: {}", result.error);
    }
    job.done(std::move(result));
  }
}

}  // namespace orderline::projections::pg
