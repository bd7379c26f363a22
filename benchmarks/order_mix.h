#pragma once
// A realistic order log for the read-side benchmarks (pg_projection_bench, rebuild_bench):
// orders placed (one or two lines), paid, then shipped or (every fourth) cancelled, i.e. three
// events per order, written through the real command processor into an embedded log. The
// commands go straight to one PartitionProcessor per partition, in chunks, without the bus or
// its queues: filling the log is set-up, not what these benchmarks measure.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command_processor.h"
#include "domain/aggregate.h"
#include "eventstore/embedded/embedded_log.h"
#include "eventstore/partitioning.h"

namespace orderline::bench {

// A catalogue of two active SKUs and a clock that puts orders a minute apart, so they spread
// over days (the sales-per-day read model gets many rows).
inline commands::Lookups order_mix_lookups() {
  commands::Lookups l;
  l.catalogue = [](std::string_view sku) -> std::optional<domain::ProductSnapshot> {
    domain::ProductSnapshot p;
    p.sku = std::string(sku);
    p.name = "Product " + p.sku;
    p.price.set_amount_minor(sku == "SKU-1" ? 1999 : 450);
    p.price.set_currency("EUR");
    p.active = true;
    return p;
  };
  l.customer_exists = [](std::string_view) { return true; };
  auto now = std::make_shared<std::int64_t>(1'764'000'000'000'000);
  l.now_us = [now] { return *now += 60'000'000; };
  return l;
}

// Step 0 places order i, step 1 pays it, step 2 ships it (or cancels every fourth).
inline v1::Command order_mix_command(int i, int step) {
  v1::Command c;
  const auto id = "bench-" + std::to_string(i);
  c.set_stream_id(domain::order_stream(id));
  c.set_expected_version(-1);
  c.set_command_id(id + "-" + std::to_string(step));
  c.set_request_hash(std::to_string(step));
  if (step == 0) {
    auto* body = c.mutable_place_order();
    body->set_order_id(id);
    body->set_customer_id("cust-" + std::to_string(i % 5000));
    body->set_currency("EUR");
    auto* line = body->add_lines();
    line->set_sku("SKU-1");
    line->set_quantity(1 + i % 3);
    if (i % 2) {
      line = body->add_lines();
      line->set_sku("SKU-2");
      line->set_quantity(2);
    }
    return c;
  }
  v1::OrderAction action;
  action.set_order_id(id);
  if (step == 1) *c.mutable_pay_order() = action;
  else if (step == 2 && i % 4 == 3) *c.mutable_cancel_order() = action;  // paid, then cancelled
  else *c.mutable_ship_order() = action;
  return c;
}

// Appends `orders` orders (3 events each) to `log`; returns the events the log then holds.
inline std::uint64_t fill_order_mix(eventstore::EventLog& log, int orders) {
  const auto partitions = log.partition_count();
  std::vector<std::unique_ptr<commands::PartitionProcessor>> processors;
  for (std::uint32_t p = 0; p < partitions; ++p) {
    processors.push_back(
        std::make_unique<commands::PartitionProcessor>(p, log, order_mix_lookups(), commands::ProcessorOptions{}));
  }
  constexpr int kChunk = 2000;
  for (int first = 0; first < orders; first += kChunk) {
    for (int step = 0; step < 3; ++step) {
      std::vector<std::vector<v1::Command>> per_partition(partitions);
      for (int i = first; i < std::min(orders, first + kChunk); ++i) {
        auto c = order_mix_command(i, step);
        per_partition[eventstore::partition_for(c.stream_id(), partitions)].push_back(std::move(c));
      }
      for (std::uint32_t p = 0; p < partitions; ++p) {
        if (!per_partition[p].empty()) processors[p]->process(per_partition[p]);
      }
    }
  }
  std::uint64_t events = 0;
  for (std::uint32_t p = 0; p < partitions; ++p) events += log.end_offset(p);
  return events;
}

}  // namespace orderline::bench
