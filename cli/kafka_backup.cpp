#include "cli/kafka_backup.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/kafka_backup_format.h"
#include "eventstore/kafka/client_conf.h"
#include "eventstore/kafka/kafka_history_reader.h"
#include "eventstore/kafka/topic_admin.h"
#include "gateway/json_mapping.h"

namespace orderline::cli {
namespace fs = std::filesystem;

namespace {

std::int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

eventstore::KafkaHistoryOptions reader_options(const eventstore::KafkaLogOptions& log, const std::string& topic) {
  eventstore::KafkaHistoryOptions options;
  options.brokers = log.brokers;
  options.topic_prefix = log.topic_prefix;
  options.topic = topic;
  options.client_config = log.client_config;
  options.connect_timeout = log.connect_timeout;
  return options;
}

std::string records_file(const fs::path& dir, const std::string& topic) { return (dir / (topic + ".records")).string(); }

// Per partition, the records of `topic` in `dir` (the file is read to its end: it is checked too).
std::vector<std::uint64_t> count_records(const fs::path& dir, const std::string& topic, std::uint32_t partitions) {
  std::vector<std::uint64_t> counts(partitions, 0);
  RecordFileReader reader(records_file(dir, topic));
  eventstore::LogRecord record;
  while (reader.next(record)) {
    if (record.partition >= partitions) throw std::runtime_error(topic + ".records names partition " +
                                                                 std::to_string(record.partition));
    ++counts[record.partition];
  }
  return counts;
}

// An idempotent producer (acks=all; per-partition order kept across retries) that counts
// failed deliveries.
class RestoreProducer {
 public:
  explicit RestoreProducer(const eventstore::KafkaLogOptions& target) {
    eventstore::ClientConf conf("kafka restore");
    conf.set("bootstrap.servers", target.brokers);
    conf.set("client.id", "orderline-restore");
    conf.set("enable.idempotence", "true");
    conf.set("acks", "all");
    conf.set("linger.ms", "20");
    conf.set_all(target.client_config);
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
      auto* self = static_cast<RestoreProducer*>(opaque);
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR && self->failed_.fetch_add(1) == 0) {
        self->first_error_ = rd_kafka_err2str(message->err);
      }
    });
    producer_ = conf.create(RD_KAFKA_PRODUCER);
  }
  ~RestoreProducer() { rd_kafka_destroy(producer_); }
  RestoreProducer(const RestoreProducer&) = delete;
  RestoreProducer& operator=(const RestoreProducer&) = delete;

  void produce(const std::string& topic, const eventstore::LogRecord& record) {
    for (;;) {
      const auto err = rd_kafka_producev(
          producer_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(static_cast<std::int32_t>(record.partition)),
          RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(record.value.data()), record.value.size()),
          RD_KAFKA_V_TIMESTAMP(record.log_time_us / 1000), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        throw std::runtime_error(fmt::format("cannot write to {} [{}]: {}", topic, record.partition, rd_kafka_err2str(err)));
      }
      rd_kafka_poll(producer_, 100);  // delivery reports make room
    }
  }

  // Waits for every delivery; throws on a failed one.
  void finish(std::chrono::milliseconds timeout) {
    const auto err = rd_kafka_flush(producer_, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error(fmt::format("records not delivered within {} ms: {}", timeout.count(), rd_kafka_err2str(err)));
    }
    if (failed_.load() > 0) {
      throw std::runtime_error(fmt::format("{} records were not written: {}", failed_.load(), first_error_));
    }
  }

 private:
  rd_kafka_t* producer_ = nullptr;
  std::atomic<std::uint64_t> failed_{0};
  std::string first_error_;
};

// True when `topic` of the target prefix exists and holds records (a restore never mixes logs).
bool holds_records(const eventstore::KafkaLogOptions& target, const std::string& topic) {
  try {
    eventstore::KafkaHistoryReader reader(reader_options(target, topic));
    for (std::uint32_t p = 0; p < reader.partition_count(); ++p) {
      if (reader.end_offset(p) > 0) return true;
    }
    return false;
  } catch (const eventstore::KafkaTopicNotFound&) {
    return false;
  }
}

}  // namespace

int run_kafka_backup(const std::string& dir_arg, const eventstore::KafkaLogOptions& source) {
  const fs::path dir = fs::absolute(dir_arg).lexically_normal();
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec))) {
    std::cerr << "orderctl backup: " << dir.string() << " exists and is not empty; back up into a new directory"
              << std::endl;
    return 2;
  }
  try {
    fs::create_directories(dir);
    KafkaBackupManifest manifest;
    manifest.created_at = gateway::rfc3339_utc(now_us());
    manifest.source_prefix = source.topic_prefix;
    // Both readers take their ends when they open: outcomes first, so no outcome in the backup
    // names an event the backup lacks (one the other way round is harmless: see docs).
    std::vector<std::unique_ptr<eventstore::KafkaHistoryReader>> readers;
    for (const char* topic : kKafkaBackupTopics) {
      readers.push_back(std::make_unique<eventstore::KafkaHistoryReader>(reader_options(source, topic)));
    }
    manifest.partitions = readers.back()->partition_count();
    for (const auto& reader : readers) {
      const std::string topic = reader->topic().substr(source.topic_prefix.size() + 1);
      if (reader->partition_count() != manifest.partitions) {
        throw std::runtime_error(fmt::format("{} has {} partitions, the events topic {}", reader->topic(),
                                             reader->partition_count(), manifest.partitions));
      }
      auto& entry = manifest.topics[topic];
      RecordFileWriter out(records_file(dir, topic));
      eventstore::LogRecord record;
      for (std::uint32_t p = 0; p < manifest.partitions; ++p) {
        entry.ends.push_back(reader->end_offset(p));
        entry.records.push_back(0);
        auto cursors = reader->open_ranges({{p, 0, reader->end_offset(p)}});
        while (cursors.front()->next(record)) {
          out.write(record);
          ++entry.records.back();
        }
      }
      out.close();
    }
    const auto manifest_path = dir / kKafkaBackupManifest;
    {
      std::ofstream out(manifest_path.string() + ".tmp");
      out << manifest.to_json() << "\n";
      if (!out.flush()) throw std::runtime_error("cannot write " + manifest_path.string());
    }
    fs::rename(manifest_path.string() + ".tmp", manifest_path);
    std::uint64_t events = 0, outcomes = 0;
    for (auto n : manifest.topics["events"].records) events += n;
    for (auto n : manifest.topics["outcomes"].records) outcomes += n;
    std::cout << "backed up " << events << " events and " << outcomes << " outcomes of " << source.topic_prefix << " ("
              << manifest.partitions << " partitions) into " << dir.string() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "orderctl backup: " << e.what() << std::endl;
    return 1;
  }
}

int run_kafka_restore(const std::string& dir_arg, const eventstore::KafkaLogOptions& target_arg) {
  const fs::path dir = fs::absolute(dir_arg).lexically_normal();
  std::string text, error;
  {
    std::ifstream in((dir / kKafkaBackupManifest).string());
    if (!in) {
      std::cerr << "orderctl restore: " << (dir / kKafkaBackupManifest).string()
                << " is missing: not a (complete) backup of a Kafka log" << std::endl;
      return 2;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  const auto manifest = KafkaBackupManifest::parse(text, &error);
  if (!manifest) {
    std::cerr << "orderctl restore: " << error << std::endl;
    return 2;
  }
  auto target = target_arg;
  target.partitions = manifest->partitions;
  try {
    // The backup must be what its manifest says before anything is written.
    for (const char* topic : kKafkaBackupTopics) {
      if (count_records(dir, topic, manifest->partitions) != manifest->topics.at(topic).records) {
        std::cerr << "orderctl restore: " << topic << ".records does not match the manifest (damaged backup?)"
                  << std::endl;
        return 1;
      }
      if (holds_records(target, topic)) {
        std::cerr << "orderctl restore: " << target.topic_prefix << "." << topic
                  << " already holds records; restore into a new prefix" << std::endl;
        return 2;
      }
    }
    // Events with CreateTime while the backed-up log times are written, LogAppendTime after.
    auto creating = eventstore::events_topic_configs();
    for (auto& [name, value] : creating) {
      if (name == "message.timestamp.type") value = "CreateTime";
    }
    const eventstore::TopicSpec events{target.topic_prefix + ".events", static_cast<int>(manifest->partitions), creating};
    const eventstore::TopicSpec outcomes{target.topic_prefix + ".outcomes", static_cast<int>(manifest->partitions),
                                         eventstore::outcomes_topic_configs()};
    for (const auto* spec : {&events, &outcomes}) {
      if (eventstore::ensure_topic(target, *spec) != static_cast<int>(manifest->partitions)) {
        std::cerr << "orderctl restore: " << spec->name << " exists with another partition count than the backup's "
                  << manifest->partitions << std::endl;
        return 2;
      }
    }
    // An existing events topic (empty) may have LogAppendTime already: CreateTime for the copy.
    eventstore::set_topic_configs(target, events);
    eventstore::ensure_commands_topic(target);

    RestoreProducer producer(target);
    for (const char* topic : kKafkaBackupTopics) {
      RecordFileReader reader(records_file(dir, topic));
      eventstore::LogRecord record;
      const auto name = target.topic_prefix + "." + topic;
      while (reader.next(record)) producer.produce(name, record);
    }
    producer.finish(std::chrono::minutes(5));
    eventstore::set_topic_configs(target, {events.name, events.partitions, eventstore::events_topic_configs()});

    // Every record is there, partition by partition (a plain copy has no transaction markers:
    // the end offset is the count).
    for (const char* topic : kKafkaBackupTopics) {
      eventstore::KafkaHistoryReader check(reader_options(target, topic));
      for (std::uint32_t p = 0; p < manifest->partitions; ++p) {
        if (check.end_offset(p) != manifest->topics.at(topic).records[p]) {
          throw std::runtime_error(fmt::format("{} [{}] holds {} records after the restore, the backup {}", check.topic(), p,
                                               check.end_offset(p), manifest->topics.at(topic).records[p]));
        }
      }
    }
    std::uint64_t total = 0;
    for (auto n : manifest->topics.at("events").records) total += n;
    std::cout << "restored " << total << " events of " << manifest->source_prefix << " (backup of " << manifest->created_at
              << ", " << manifest->partitions << " partitions) into prefix " << target.topic_prefix
              << "\nstart its roles on empty data directories and databases: the read models fold the log again"
              << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "orderctl restore: " << e.what() << std::endl;
    return 1;
  }
}

}  // namespace orderline::cli
