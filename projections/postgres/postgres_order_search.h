#pragma once
// OrderSearch answered by PostgreSQL, from the stable views of schema `orderline` (so a
// projection rebuild that re-points the views changes nothing here). A few worker threads, each
// with its own connection, take queries from a bounded queue: a slow database fills the queue
// and the gateway answers 503 instead of piling up requests or blocking network threads.
//
// Filters are bound parameters, never spliced into the SQL text.
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "projections/order_search.h"

// pqxx::connection is an alias in libpqxx 6 (Debian 12), so it cannot be forward-declared.
#include <pqxx/connection>

namespace orderline::projections::pg {

struct PostgresOrderSearchOptions {
  std::string dsn;            // libpq URI or key=value string
  std::size_t workers = 2;    // connections, one per worker thread
  std::size_t queue_limit = 64;  // queries waiting beyond these are refused (503)
  std::size_t statement_timeout_ms = 5000;  // a query running longer is cancelled
};

// Runs one query on a connection the caller owns (what each worker does). Throws pqxx
// exceptions when the database fails.
OrderSearchPage run_order_search(pqxx::connection& connection, const OrderSearchQuery& query);

class PostgresOrderSearch final : public OrderSearch {
 public:
  explicit PostgresOrderSearch(PostgresOrderSearchOptions options);
  ~PostgresOrderSearch() override;  // finishes the queries taken, refuses the rest

  bool submit(OrderSearchQuery query, std::function<void(OrderSearchResult)> done) override;

 private:
  struct Job {
    OrderSearchQuery query;
    std::function<void(OrderSearchResult)> done;
  };
  void work();

  PostgresOrderSearchOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace orderline::projections::pg
