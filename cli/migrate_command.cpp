#include "cli/migrate_command.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/kafka_config.h"
#include "eventstore/embedded/log_reader.h"
#include "eventstore/kafka/migration.h"

namespace orderline::cli {

int run_migrate(const MigrateArgs& args) {
  const auto scratch = std::filesystem::temp_directory_path() / ("orderctl-migrate-" + std::to_string(::getpid()));
  std::filesystem::create_directories(scratch);
  // A secondary instance: the embedded engine may even be running (it should be stopped, so
  // that nothing is written after the move).
  eventstore::EmbeddedLogReader reader(args.from + "/log", (scratch / "secondary").string());
  auto options = kafka_log_options(args.to, args.kafka_options);
  options.partitions = reader.partition_count();
  options.state_dir = args.state_dir.empty() ? (scratch / "kafka-index").string() : args.state_dir;
  options.transactional_id = options.topic_prefix + ".migrate";  // one migration at a time: a second one fences the first
  int status = 1;
  {
    eventstore::KafkaEventLog log(options);
    eventstore::MigrationOptions migration;
    migration.chunk = args.chunk;
    migration.limit = args.limit;
    migration.progress = [](const std::string& line) { std::cerr << "orderctl migrate: " << line << std::endl; };
    const auto report = eventstore::migrate(reader, log, migration);
    std::cout << "partition  embedded  kafka  moved  checksum(embedded)  checksum(kafka)  outcomes  missing\n";
    for (const auto& p : report.partitions) {
      std::cout << p.partition << "  " << p.embedded_records << "  " << p.kafka_records << "  " << p.moved << "  "
                << std::hex << p.embedded_checksum << "  " << p.kafka_checksum << std::dec << "  " << p.outcomes
                << "  " << p.outcomes_missing << (p.complete() ? "  ok" : "  incomplete") << "\n";
    }
    if (!report.error.empty()) {
      std::cerr << "orderctl migrate: " << report.error << std::endl;
      status = 1;
    } else if (report.complete()) {
      std::cout << "migrated and verified: every partition's records, checksums and outcomes match" << std::endl;
      status = 0;
    } else {
      std::cout << "not complete yet: run the same command again to continue" << std::endl;
      status = 2;
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(scratch, ignored);
  return status;
}

}  // namespace orderline::cli
