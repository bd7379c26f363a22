// rocksdb_raw_bench: RocksDB's own synced write rate, the ceiling of Orderline's embedded log
// (benchmarks/run, issue 7). It opens a fresh database with the options EmbeddedLog uses
// (eventstore/embedded/embedded_log.cpp: IncreaseParallelism(2), 64 MiB memtables, 256 MiB
// WAL cap, LZ4, an "events" column family) and has --threads writers append event-sized records
// under (partition, offset) keys, --batch records per WriteBatch, every write with
// WriteOptions::sync = true (the WAL is fsynced before Write returns), as an append does.
// Concurrent writers share RocksDB's write groups, one fsync per group, as orderd's partition
// workers do. Prints one JSON object.
//
//   rocksdb_raw_bench --dir /tmp/x --threads 8 --batch 64 --seconds 5 --value-bytes 300
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/version.h>
#include <rocksdb/write_batch.h>

#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string dir;
  int threads = 8;
  int batch = 1;
  double seconds = 5;
  std::size_t value_bytes = 300;
  bool sync = true;
};

// Big-endian partition and offset: the ordered key layout of an append-only log.
std::string log_key(std::uint32_t partition, std::uint64_t offset) {
  std::string key(12, '\0');
  for (int i = 0; i < 4; ++i) key[i] = static_cast<char>(partition >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) key[4 + i] = static_cast<char>(offset >> (56 - 8 * i));
  return key;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"rocksdb_raw_bench: synced WriteBatch rate with the embedded log's options"};
  app.add_option("--dir", o.dir, "fresh directory for the database (removed afterwards)")->required();
  app.add_option("--threads", o.threads, "concurrent writers (orderd: one per partition)")->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--batch", o.batch, "records per WriteBatch")->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--seconds", o.seconds, "measured seconds")->capture_default_str()->check(CLI::Range(0.1, 3600.0));
  app.add_option("--value-bytes", o.value_bytes, "bytes per record")->capture_default_str();
  app.add_flag("!--no-sync", o.sync, "write without fsync (to see what the fsync costs)");
  CLI11_PARSE(app, argc, argv);

  // The same options as EmbeddedLog's constructor.
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.write_buffer_size = 64 << 20;
  db_options.max_total_wal_size = 256 << 20;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(64 << 20);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options(db_options);
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_options.compression = rocksdb::kLZ4Compression;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {{rocksdb::kDefaultColumnFamilyName, cf_options},
                                                           {"events", cf_options}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(rocksdb::DBOptions(db_options), o.dir, families, &handles, &raw);
  if (!status.ok()) {
    std::cerr << "rocksdb_raw_bench: " << status.ToString() << std::endl;
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);

  std::mt19937_64 rng(std::random_device{}());
  std::string value(o.value_bytes, ' ');
  for (auto& c : value) c = static_cast<char>('a' + rng() % 26);

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> records{0}, writes{0}, failures{0};
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> writers;
  for (int t = 0; t < o.threads; ++t) {
    writers.emplace_back([&, t] {
      rocksdb::WriteOptions write;
      write.sync = o.sync;
      std::uint64_t offset = 0, mine = 0, my_writes = 0;
      while (Clock::now() < until) {
        rocksdb::WriteBatch batch;
        for (int i = 0; i < o.batch; ++i) batch.Put(handles[1], log_key(static_cast<std::uint32_t>(t), offset++), value);
        if (db->Write(write, &batch).ok()) {
          mine += static_cast<std::uint64_t>(o.batch);
          ++my_writes;
        } else {
          failures++;
        }
      }
      records += mine;
      writes += my_writes;
    });
  }
  for (auto& w : writers) w.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  db->Close();
  db.reset();
  std::error_code ignored;
  std::filesystem::remove_all(o.dir, ignored);

  std::printf(
      "{\"threads\":%d,\"batch\":%d,\"sync\":%s,\"value_bytes\":%zu,\"seconds\":%.3f,\"records\":%llu,"
      "\"writes\":%llu,\"failures\":%llu,\"records_per_s\":%.1f,\"writes_per_s\":%.1f,\"rocksdb\":\"%d.%d.%d\"}\n",
      o.threads, o.batch, o.sync ? "true" : "false", o.value_bytes, elapsed,
      static_cast<unsigned long long>(records.load()), static_cast<unsigned long long>(writes.load()),
      static_cast<unsigned long long>(failures.load()), records.load() / elapsed, writes.load() / elapsed,
      ROCKSDB_MAJOR, ROCKSDB_MINOR, ROCKSDB_PATCH);
  return failures.load() == 0 ? 0 : 1;
}
