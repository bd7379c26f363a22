#include "eventstore/kafka/client_conf.h"

#include <librdkafka/rdkafka.h>

#include <stdexcept>

namespace orderline::eventstore {

ClientConf::ClientConf(std::string component) : component_(std::move(component)), conf_(rd_kafka_conf_new()) {}

ClientConf::~ClientConf() {
  if (conf_ != nullptr) rd_kafka_conf_destroy(conf_);
}

void ClientConf::set(const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf_, name.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    throw std::invalid_argument(component_ + ": bad client setting " + name + ": " + errstr);
  }
}

void ClientConf::set_all(const std::map<std::string, std::string>& settings) {
  for (const auto& [name, value] : settings) set(name, value);
}

void set_assigning_reader(ClientConf& conf, const std::string& group_id) {
  conf.set("isolation.level", "read_committed");
  conf.set("group.id", group_id);
  conf.set("enable.auto.commit", "false");
  conf.set("enable.auto.offset.store", "false");
  conf.set("enable.partition.eof", "true");
  conf.set("auto.offset.reset", "error");
}

rd_kafka_s* ClientConf::create(int type) {
  char errstr[512];
  rd_kafka_t* client = rd_kafka_new(static_cast<rd_kafka_type_t>(type), conf_, errstr, sizeof errstr);
  if (client == nullptr) throw std::runtime_error(component_ + ": cannot create a client: " + errstr);
  conf_ = nullptr;  // the client owns it now
  return client;
}

}  // namespace orderline::eventstore
