#pragma once
// Route handlers, one per route of route_table() (router.cpp binds them).
#include "gateway/exchange.h"

namespace orderline::gateway::handlers {

void healthz(const ExchangePtr& ex);
void readyz(const ExchangePtr& ex);
void metrics(const ExchangePtr& ex);
void set_log_level(const ExchangePtr& ex);

void list_products(const ExchangePtr& ex);
void get_product(const ExchangePtr& ex);
void create_product(const ExchangePtr& ex);
void change_price(const ExchangePtr& ex);
void restock(const ExchangePtr& ex);
void discontinue(const ExchangePtr& ex);

void auth_register(const ExchangePtr& ex);
void auth_login(const ExchangePtr& ex);
void auth_refresh(const ExchangePtr& ex);
void auth_logout(const ExchangePtr& ex);
void auth_me(const ExchangePtr& ex);
void auth_change_password(const ExchangePtr& ex);
void auth_request_password_reset(const ExchangePtr& ex);
void auth_confirm_password_reset(const ExchangePtr& ex);
void admin_password_reset(const ExchangePtr& ex);
void create_account(const ExchangePtr& ex);

void register_customer(const ExchangePtr& ex);
void get_customer(const ExchangePtr& ex);
void forget_customer(const ExchangePtr& ex);
void customer_orders(const ExchangePtr& ex);
void related_products(const ExchangePtr& ex);          // bought together; public
void customer_recommendations(const ExchangePtr& ex);  // the customer themself or staff

void place_order(const ExchangePtr& ex);
void get_order(const ExchangePtr& ex);
void order_as_of(const ExchangePtr& ex);  // get_order with ?as_of=TIME hands over to it
void order_events(const ExchangePtr& ex);
void cancel_order(const ExchangePtr& ex);
void pay_order(const ExchangePtr& ex);
void ship_order(const ExchangePtr& ex);
void deliver_order(const ExchangePtr& ex);
void request_return(const ExchangePtr& ex);
void receive_return(const ExchangePtr& ex);

void search_orders(const ExchangePtr& ex);  // staff, from PostgreSQL
void export_orders(const ExchangePtr& ex);  // the same search as CSV

void list_projections(const ExchangePtr& ex);
void get_projection(const ExchangePtr& ex);
void rebuild_projection(const ExchangePtr& ex);
void pause_projection(const ExchangePtr& ex);
void resume_projection(const ExchangePtr& ex);
void reset_projection(const ExchangePtr& ex);
void list_dead_letters(const ExchangePtr& ex);
void retry_dead_letter(const ExchangePtr& ex);
void skip_dead_letter(const ExchangePtr& ex);
void backup(const ExchangePtr& ex);  // staff: online backup of the embedded engine
void import_orders(const ExchangePtr& ex);  // admin: a batch of historical orders (issue 9)
void stream_without_upgrade(const ExchangePtr& ex);

}  // namespace orderline::gateway::handlers
