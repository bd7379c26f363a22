#include "cli/kafka_backup_format.h"

#include <boost/json.hpp>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace orderline::cli {
namespace {

template <typename T>
void put(std::string& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xff));
}

template <typename T>
bool get(std::FILE* file, T& value) {
  unsigned char bytes[sizeof(T)];
  if (std::fread(bytes, 1, sizeof(T), file) != sizeof(T)) return false;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<std::uint64_t>(bytes[i]) << (8 * i);
  value = static_cast<T>(v);
  return true;
}

boost::json::array to_array(const std::vector<std::uint64_t>& values) {
  boost::json::array out;
  for (auto v : values) out.push_back(v);
  return out;
}

std::vector<std::uint64_t> from_array(const boost::json::value& value) {
  std::vector<std::uint64_t> out;
  for (const auto& v : value.as_array()) out.push_back(v.to_number<std::uint64_t>());
  return out;
}

}  // namespace

std::string KafkaBackupManifest::to_json() const {
  boost::json::object topics_json;
  for (const auto& [name, topic] : topics) {
    topics_json[name] = boost::json::object{{"records", to_array(topic.records)}, {"ends", to_array(topic.ends)}};
  }
  return boost::json::serialize(boost::json::object{{"kind", "orderline-kafka-backup"},
                                                    {"format", format},
                                                    {"created_at", created_at},
                                                    {"source_prefix", source_prefix},
                                                    {"partitions", partitions},
                                                    {"topics", std::move(topics_json)}});
}

std::optional<KafkaBackupManifest> KafkaBackupManifest::parse(const std::string& text, std::string* error) {
  try {
    const auto json = boost::json::parse(text).as_object();
    if (json.at("kind") != "orderline-kafka-backup") throw std::invalid_argument("not a backup of a Kafka log");
    KafkaBackupManifest manifest;
    manifest.format = static_cast<int>(json.at("format").to_number<std::int64_t>());
    if (manifest.format != 1) throw std::invalid_argument("unknown format " + std::to_string(manifest.format));
    manifest.created_at = std::string(json.at("created_at").as_string());
    manifest.source_prefix = std::string(json.at("source_prefix").as_string());
    manifest.partitions = json.at("partitions").to_number<std::uint32_t>();
    for (const char* name : kKafkaBackupTopics) {
      const auto& topic = json.at("topics").at(name);
      auto& into = manifest.topics[name];
      into.records = from_array(topic.at("records"));
      into.ends = from_array(topic.at("ends"));
      if (into.records.size() != manifest.partitions || into.ends.size() != manifest.partitions) {
        throw std::invalid_argument(std::string("topic ") + name + " does not list every partition");
      }
    }
    return manifest;
  } catch (const std::exception& e) {
    if (error) *error = std::string("not a manifest of a Kafka backup: ") + e.what();
    return std::nullopt;
  }
}

RecordFileWriter::RecordFileWriter(const std::string& path) : path_(path), file_(std::fopen(path.c_str(), "wbx")) {
  if (file_ == nullptr) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
}

RecordFileWriter::~RecordFileWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void RecordFileWriter::write(const eventstore::LogRecord& record) {
  std::string out;
  out.reserve(28 + record.key.size() + record.value.size());
  put<std::uint32_t>(out, record.partition);
  put<std::uint64_t>(out, record.offset);
  put<std::int64_t>(out, record.log_time_us / 1000);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(record.key.size()));
  out += record.key;
  put<std::uint32_t>(out, static_cast<std::uint32_t>(record.value.size()));
  out += record.value;
  if (std::fwrite(out.data(), 1, out.size(), file_) != out.size()) {
    throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
  }
}

void RecordFileWriter::close() {
  if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) {
    throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
  }
  std::fclose(file_);
  file_ = nullptr;
}

RecordFileReader::RecordFileReader(const std::string& path) : path_(path), file_(std::fopen(path.c_str(), "rb")) {
  if (file_ == nullptr) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
}

RecordFileReader::~RecordFileReader() { std::fclose(file_); }

bool RecordFileReader::next(eventstore::LogRecord& record) {
  std::uint32_t partition = 0;
  if (!get(file_, partition)) {
    if (std::feof(file_) && std::ftell(file_) >= 0) return false;  // a clean end between records
    throw std::runtime_error("cannot read " + path_);
  }
  std::int64_t time_ms = 0;
  std::uint32_t key_size = 0, value_size = 0;
  bool ok = get(file_, record.offset) && get(file_, time_ms) && get(file_, key_size);
  if (ok) {
    record.key.resize(key_size);
    ok = std::fread(record.key.data(), 1, key_size, file_) == key_size && get(file_, value_size);
  }
  if (ok) {
    record.value.resize(value_size);
    ok = std::fread(record.value.data(), 1, value_size, file_) == value_size;
  }
  if (!ok) throw std::runtime_error(path_ + " is truncated (damaged backup?)");
  record.partition = partition;
  record.log_time_us = time_ms * 1000;
  return true;
}

}  // namespace orderline::cli
