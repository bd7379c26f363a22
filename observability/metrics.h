#pragma once
// The metrics of one orderd process, in the Prometheus text format. The layers below never see
// prometheus-cpp: they report through observer interfaces (gateway::HttpObserver,
// commands::CommandObserver, projections::ProjectorObserver, eventstore::AppendObserver) and
// expose plain stats that are read at scrape time (EngineSources). This class owns the
// registry and every family, and render() is what GET /metrics answers. docs/operations.md lists every metric.
//
//   observability::Metrics metrics;
//   engine_options.bus.observer = metrics.commands();      // before the engine is built
//   engine_options.append_observer = metrics.appends();
//   ...
//   metrics.set_sources({&engine.log(), [&] { return engine.bus().stats(); }, ...});
//   services.metrics = [&] { return metrics.render(); };
//   services.http_observer = metrics.http();
#include <functional>
#include <memory>
#include <string>

#include "commands/command_observer.h"
#include "commands/observed_command_bus.h"
#include "commands/saga/saga_runner.h"
#include "eventstore/append_observer.h"
#include "eventstore/kafka/kafka_event_log.h"
#include "eventstore/kafka/kafka_statistics.h"
#include "gateway/auth/failure.h"
#include "gateway/http_observer.h"
#include "gateway/stream_observer.h"
#include "observability/engine_gauges.h"
#include "projections/postgres/postgres_projector.h"
#include "projections/projector.h"

namespace orderline::observability {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Observers to hand to the parts; they live as long as this object.
  gateway::HttpObserver* http();
  auth::AuthObserver* auth();
  commands::CommandObserver* commands();
  // `orderd gateway`'s round trip of each command through Kafka (commands::ObservedCommandBus).
  commands::RoundTripObserver* gateway_commands();
  projections::ProjectorObserver* projector();
  eventstore::AppendObserver* appends();
  projections::pg::PostgresProjectorObserver* pg_projector();
  commands::saga::SagaObserver* saga();
  // The order saga's in-flight gauges (unset, e.g. with --no-saga: left out).
  void set_saga_source(std::function<commands::saga::SagaStats()> stats);
  gateway::StreamObserver* streams();  // WebSocket connections, pushes, slow consumers
  // librdkafka statistics of the Kafka clients (hand to eventstore::set_kafka_statistics_observer)
  // and the event log's transaction counts (unset: left out).
  eventstore::KafkaStatisticsObserver* kafka_statistics();
  void set_kafka_transactions_source(std::function<eventstore::TransactionCounts()> counts);

  // What the scrape-time gauges read; may be set after construction (and before or while the
  // gateway serves: it is guarded).
  void set_sources(EngineSources sources);

  // Every metric in the text exposition format (version 0.0.4). Thread-safe.
  std::string render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderline::observability
