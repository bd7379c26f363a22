#include "observability/metrics.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "observability/append_metrics.h"
#include "observability/command_metrics.h"
#include "observability/command_reply_metrics.h"
#include "observability/auth_metrics.h"
#include "observability/http_metrics.h"
#include "observability/kafka_metrics.h"
#include "observability/pg_projection_metrics.h"
#include "observability/process_metrics.h"
#include "observability/projection_metrics.h"
#include "observability/saga_metrics.h"
#include "observability/stream_metrics.h"

namespace orderline::observability {

struct Metrics::Impl {
  prometheus::Registry registry;
  HttpMetrics http{registry};
  AuthMetrics auth{registry};
  CommandMetrics commands{registry};
  GatewayCommandMetrics gateway_commands{registry};
  ProjectionMetrics projector{registry};
  AppendMetrics appends{registry};
  PgProjectionMetrics pg_projector{registry};
  SagaMetrics saga{registry};
  StreamMetrics streams{registry};
  KafkaMetrics kafka;
  EngineGauges engine;
  ProcessMetrics process;
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
// A Kafka client that outlives these metrics must not call into them.
Metrics::~Metrics() { eventstore::unset_kafka_statistics_observer(&impl_->kafka); }

gateway::HttpObserver* Metrics::http() { return &impl_->http; }
auth::AuthObserver* Metrics::auth() { return &impl_->auth; }
commands::CommandObserver* Metrics::commands() { return &impl_->commands; }
commands::RoundTripObserver* Metrics::gateway_commands() { return &impl_->gateway_commands; }
projections::ProjectorObserver* Metrics::projector() { return &impl_->projector; }
eventstore::AppendObserver* Metrics::appends() { return &impl_->appends; }
projections::pg::PostgresProjectorObserver* Metrics::pg_projector() { return &impl_->pg_projector; }
commands::saga::SagaObserver* Metrics::saga() { return &impl_->saga; }
void Metrics::set_saga_source(std::function<commands::saga::SagaStats()> stats) {
  impl_->saga.set_source(std::move(stats));
}
gateway::StreamObserver* Metrics::streams() { return &impl_->streams; }
eventstore::KafkaStatisticsObserver* Metrics::kafka_statistics() { return &impl_->kafka; }
void Metrics::set_kafka_transactions_source(std::function<eventstore::TransactionCounts()> counts) {
  impl_->kafka.set_transactions_source(std::move(counts));
}

void Metrics::set_sources(EngineSources sources) { impl_->engine.set_sources(std::move(sources)); }

std::string Metrics::render() const {
  auto families = impl_->registry.Collect();
  for (const prometheus::Collectable* collectable : {static_cast<const prometheus::Collectable*>(&impl_->engine),
                                                     static_cast<const prometheus::Collectable*>(&impl_->process),
                                                     static_cast<const prometheus::Collectable*>(&impl_->saga),
                                                     static_cast<const prometheus::Collectable*>(&impl_->kafka)}) {
    auto more = collectable->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace orderline::observability
