// Staff order search over the PostgreSQL read models: a JSON page, or the same query as CSV.
#include <boost/json.hpp>
#include <boost/url.hpp>

#include "gateway/csv.h"
#include "gateway/handlers.h"
#include "gateway/json_mapping.h"
#include "gateway/order_search_params.h"
#include "gateway/route_support.h"

namespace orderline::gateway::handlers {
namespace {
namespace json = boost::json;
using projections::OrderSearchPage;
using projections::OrderSearchResult;
using projections::OrderSearchRow;

// The same request with `cursor` set to the next page's (for the Link header).
std::string next_page_url(const Request& request, const std::string& cursor) {
  boost::urls::url url;
  url.set_encoded_path(request.path);
  for (const auto& [name, value] : request.query) {
    if (name != "cursor") url.params().append({name, value});
  }
  url.params().append({"cursor", cursor});
  return std::string(url.buffer());
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Validates, submits to the search service, and answers with `render` once it has run.
void run_search(const ExchangePtr& ex, std::size_t default_limit, std::size_t max_limit,
                std::function<Response(const OrderSearchPage&)> render) {
  // Who may search: the route table (staff, admin), applied by dispatch().
  auto* search = ex->services->order_search;
  if (search == nullptr) {
    return ex->respond(problem(503, "search_unavailable",
                               "order search needs the PostgreSQL read models: start orderd with --pg DSN"));
  }
  auto parsed = parse_order_search(ex->request, default_limit, max_limit);
  if (!parsed.errors.empty()) return ex->respond(validation_problem(std::move(parsed.errors)));
  const bool taken = search->submit(std::move(parsed.query), [ex, render = std::move(render)](OrderSearchResult result) {
    if (result.status != OrderSearchResult::Status::ok) {
      auto r = problem(503, "search_unavailable", "PostgreSQL did not answer the search: " + first_line(result.error));
      r.headers.emplace_back("Retry-After", "1");
      return ex->respond(std::move(r));
    }
    auto response = render(result.page);
    if (result.page.next_cursor) {
      response.headers.emplace_back("Link", "<" + next_page_url(ex->request, *result.page.next_cursor) + ">; rel=\"next\"");
    }
    ex->respond(std::move(response));
  });
  if (!taken) {
    auto r = problem(503, "overloaded", "too many searches are running; retry shortly");
    r.headers.emplace_back("Retry-After", "1");
    ex->respond(std::move(r));
  }
}

json::object row_json(const OrderSearchRow& row) {
  v1::Money total;
  total.set_amount_minor(row.total_minor);
  total.set_currency(row.currency);
  return {{"order_id", row.order_id},
          {"customer_id", row.customer_id},
          {"status", row.status},
          {"payment_status", row.payment_status},
          {"fulfillment_status", row.fulfillment_status},
          {"total", money_json(total)},
          {"version", row.version},
          {"created_at", rfc3339_utc(row.created_at_us)},
          {"updated_at", rfc3339_utc(row.updated_at_us)}};
}

}  // namespace

void search_orders(const ExchangePtr& ex) {
  run_search(ex, 50, 200, [](const OrderSearchPage& page) {
    json::array items;
    for (const auto& row : page.rows) items.push_back(row_json(row));
    json::value next = page.next_cursor ? json::value(*page.next_cursor) : json::value(nullptr);
    return json_response(json::object{{"items", std::move(items)}, {"next_cursor", std::move(next)}});
  });
}

void export_orders(const ExchangePtr& ex) {
  // Up to 10,000 rows per response; the rest follow the Link / X-Next-Cursor of each answer,
  // so an export of any size never holds more than one page in memory.
  run_search(ex, 10'000, 10'000, [](const OrderSearchPage& page) {
    Response r;
    r.content_type = "text/csv; charset=utf-8";
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"orders.csv\"");
    if (page.next_cursor) r.headers.emplace_back("X-Next-Cursor", *page.next_cursor);
    r.body = csv_row({"order_id", "customer_id", "status", "payment_status", "fulfillment_status", "currency",
                      "total_minor", "version", "created_at", "updated_at"});
    for (const auto& row : page.rows) {
      r.body += csv_row({row.order_id, row.customer_id, row.status, row.payment_status, row.fulfillment_status,
                         row.currency, std::to_string(row.total_minor), std::to_string(row.version),
                         rfc3339_utc(row.created_at_us), rfc3339_utc(row.updated_at_us)});
    }
    return r;
  });
}

}  // namespace orderline::gateway::handlers
