#pragma once
// The settings of one librdkafka client, owned until the client is created. Every Kafka
// client of Orderline (the event log's, the processor's, the command bus's, a group member's,
// the topic admin's, the history reader's) builds its rd_kafka_conf_t here, so a setting
// librdkafka refuses -- often one passed through with --kafka-option -- fails the same way
// everywhere, naming the component and the setting.
//
//   ClientConf conf("kafka group");
//   conf.set("bootstrap.servers", options.brokers);
//   conf.set_all(options.client_config);   // TLS, SASL, ... after Orderline's own
//   rd_kafka_conf_set_opaque(conf.get(), this);
//   rd_kafka_t* client = conf.create(RD_KAFKA_CONSUMER);
#include <map>
#include <string>

struct rd_kafka_conf_s;  // librdkafka's rd_kafka_conf_t
struct rd_kafka_s;       // librdkafka's rd_kafka_t

namespace orderline::eventstore {

class ClientConf {
 public:
  // `component` starts every error message, e.g. "kafka event log".
  explicit ClientConf(std::string component);
  ~ClientConf();
  ClientConf(const ClientConf&) = delete;
  ClientConf& operator=(const ClientConf&) = delete;

  // Throws std::invalid_argument "<component>: bad client setting NAME: why".
  void set(const std::string& name, const std::string& value);
  void set_all(const std::map<std::string, std::string>& settings);

  // For callbacks and opaques; still owned here.
  rd_kafka_conf_s* get() { return conf_; }

  // A client of `type` (rd_kafka_type_t: RD_KAFKA_PRODUCER or RD_KAFKA_CONSUMER), which takes
  // the settings. Throws std::runtime_error "<component>: cannot create a client: why".
  rd_kafka_s* create(int type);

 private:
  std::string component_;
  rd_kafka_conf_s* conf_;
};

// A read_committed consumer of the events (or outcomes) topic that assign()s its partitions:
// the event log's readers and tail follower, the export's history reader. It never joins its
// group (assign() only needs the id) and commits nothing; it reports each partition's end at
// the last stable offset, so a reader stops there even when only markers or aborted records
// remain; and, the log being kept for ever, an offset out of range is an error, never a
// silent jump to the end.
void set_assigning_reader(ClientConf& conf, const std::string& group_id);

}  // namespace orderline::eventstore
