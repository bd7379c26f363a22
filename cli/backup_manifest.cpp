#include "cli/backup_manifest.h"

#include <boost/json.hpp>
#include <rocksdb/db.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "eventstore/embedded/embedded_log.h"
#include "eventstore/embedded/key_codec.h"
#include "projections/counter_row.h"

namespace orderline::cli {
namespace json = boost::json;

std::string BackupManifest::to_json() const {
  json::array ends;
  for (auto end : log_end) ends.push_back(end);
  json::array part_names;
  for (const auto& part : parts) part_names.emplace_back(part);
  return json::serialize(json::object{{"format", format},
                                      {"created_at", created_at},
                                      {"partitions", partitions},
                                      {"log_end", std::move(ends)},
                                      {"events", events},
                                      {"parts", std::move(part_names)}}) +
         "\n";
}

std::optional<BackupManifest> BackupManifest::parse(const std::string& text, std::string* error) {
  try {
    const auto value = json::parse(text);
    const auto& o = value.as_object();
    BackupManifest m;
    m.format = static_cast<int>(o.at("format").to_number<std::int64_t>());
    if (m.format != 1) {
      *error = "unknown backup format " + std::to_string(m.format);
      return std::nullopt;
    }
    m.created_at = std::string(o.at("created_at").as_string());
    m.partitions = o.at("partitions").to_number<std::uint32_t>();
    for (const auto& end : o.at("log_end").as_array()) m.log_end.push_back(end.to_number<std::uint64_t>());
    m.events = o.at("events").to_number<std::uint64_t>();
    if (const auto* parts = o.if_contains("parts")) {
      m.parts.clear();
      for (const auto& part : parts->as_array()) {
        std::string name(part.as_string());
        // A manifest names parts inside its own directory, nothing else.
        if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) {
          *error = "the manifest names a part outside the backup: " + name;
          return std::nullopt;
        }
        m.parts.push_back(std::move(name));
      }
    }
    if (m.log_end.size() != m.partitions) {
      *error = "the manifest's log_end does not have one entry per partition";
      return std::nullopt;
    }
    return m;
  } catch (const std::exception& e) {
    *error = std::string("not a backup manifest: ") + e.what();
    return std::nullopt;
  }
}

std::optional<BackupManifest> read_backup_manifest(const std::string& dir, std::string* error) {
  std::ifstream in(dir + "/" + kBackupManifest);
  if (!in) {
    *error = "no " + std::string(kBackupManifest) + " in " + dir + " (not a backup, or an incomplete one)";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  return BackupManifest::parse(text.str(), error);
}

namespace {

// A RocksDB directory opened read-only with all its column families (no writer may hold it).
struct ReadOnlyDb {
  explicit ReadOnlyDb(const std::string& path) {
    rocksdb::Options options;
    std::vector<std::string> names;
    auto status = rocksdb::DB::ListColumnFamilies(options, path, &names);
    if (!status.ok()) throw std::runtime_error("cannot open " + path + ": " + status.ToString());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    rocksdb::ColumnFamilyOptions family_options;
    // A read-model store holds merge operands (counter_row.h) that a scan may step on.
    family_options.merge_operator = projections::counter_row_merge_operator();
    for (const auto& name : names) families.emplace_back(name, family_options);
    rocksdb::DB* raw = nullptr;
    status = rocksdb::DB::OpenForReadOnly(options, path, families, &handles, &raw);
    if (!status.ok()) throw std::runtime_error("cannot open " + path + ": " + status.ToString());
    db.reset(raw);
    for (std::size_t i = 0; i < names.size(); ++i) by_name[names[i]] = handles[i];
  }
  ~ReadOnlyDb() {
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  }
  rocksdb::ColumnFamilyHandle* family(const std::string& name) const {
    auto it = by_name.find(name);
    if (it == by_name.end()) throw std::runtime_error("no column family " + name);
    return it->second;
  }
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name;
};

}  // namespace

std::vector<std::uint64_t> log_ends(const std::string& log_dir) {
  ReadOnlyDb log(log_dir);
  std::string stored;
  if (!log.db->Get(rocksdb::ReadOptions(), log.family(rocksdb::kDefaultColumnFamilyName), "meta/partitions", &stored).ok()) {
    throw std::runtime_error("no event log at " + log_dir);
  }
  const auto partitions = static_cast<std::uint32_t>(std::stoul(stored));
  std::vector<std::uint64_t> ends(partitions, 0);
  std::unique_ptr<rocksdb::Iterator> it(log.db->NewIterator(rocksdb::ReadOptions(), log.family("events")));
  for (std::uint32_t p = 0; p < partitions; ++p) {
    it->SeekForPrev(eventstore::event_key(p, UINT64_MAX));
    if (it->Valid() && it->key().size() == 12 && codec::get_u32(it->key().ToStringView().substr(0, 4)) == p) {
      ends[p] = codec::get_u64(it->key().ToStringView().substr(4, 8)) + 1;
    }
  }
  return ends;
}

std::vector<std::string> checkpoints_ahead_of(const std::string& read_models_dir,
                                              const std::vector<std::uint64_t>& log_end) {
  ReadOnlyDb store(read_models_dir);
  std::vector<std::string> ahead;
  std::unique_ptr<rocksdb::Iterator> it(store.db->NewIterator(rocksdb::ReadOptions()));
  // Checkpoint keys: "cp/" projection "/" partition(4, big-endian) -> next offset(8); a
  // projection rebuilt to version N >= 2 keeps them under "~<projection>@<N>/" (keys.h), named
  // by "meta/active/<projection>" -> N.
  std::vector<std::string> prefixes{"cp/"};
  for (it->Seek("meta/active/"); it->Valid() && it->key().starts_with("meta/active/"); it->Next()) {
    const auto name = it->key().ToString().substr(std::string("meta/active/").size());
    const auto version = it->value().ToString();
    if (version != "1") prefixes.push_back("~" + name + "@" + version + "/cp/");
  }
  for (const auto& prefix : prefixes) {
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      const auto key = it->key().ToStringView();
      if (key.size() < prefix.size() + 5 || it->value().size() != 8) continue;
      const std::uint32_t partition = codec::get_u32(key.substr(key.size() - 4));
      const std::uint64_t checkpoint = codec::get_u64(it->value().ToStringView());
      const std::uint64_t end = partition < log_end.size() ? log_end[partition] : 0;
      if (checkpoint > end) {
        ahead.push_back(std::string(key.substr(prefix.size(), key.size() - prefix.size() - 5)) + " partition " +
                        std::to_string(partition) + ": checkpoint " + std::to_string(checkpoint) + " > log end " +
                        std::to_string(end));
      }
    }
  }
  return ahead;
}

}  // namespace orderline::cli
