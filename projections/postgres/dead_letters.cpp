#include "projections/postgres/dead_letters.h"

namespace orderline::projections::pg {

bool is_data_error(const pqxx::sql_error& error) {
  const auto& state = error.sqlstate();
  return state.size() == 5 && (state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0);
}

std::string storable_text(std::string text) {
  for (std::size_t at = text.find('\0'); at != std::string::npos; at = text.find('\0', at)) {
    text.replace(at, 1, "\xEF\xBF\xBD");
  }
  return text;
}

void park_dead_letter(pqxx::dbtransaction& tx, const std::string& projection, const eventstore::LogRecord& record,
                      const std::string& event_type, const std::string& error, int attempts) {
  tx.exec_params(
      "INSERT INTO orderline.dead_letters (projection, log_partition, log_offset, stream_id, event_type, error,"
      " attempts, log_time_us, record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
      " ON CONFLICT (projection, log_partition, log_offset) DO UPDATE SET error = EXCLUDED.error,"
      " attempts = orderline.dead_letters.attempts + EXCLUDED.attempts, parked_at = now()",
      projection, static_cast<std::int64_t>(record.partition), static_cast<std::int64_t>(record.offset),
      storable_text(record.key), storable_text(event_type), storable_text(error), attempts, record.log_time_us,
      pqxx::binarystring(record.value));
}

std::vector<v1::DeadLetter> list_dead_letters(pqxx::connection& connection, const std::string& projection,
                                              std::size_t limit) {
  pqxx::read_transaction tx(connection, "dead letters");
  const auto rows = tx.exec_params(
      "SELECT projection, log_partition, log_offset, stream_id, event_type, error, attempts,"
      " (extract(epoch FROM parked_at) * 1000000)::bigint, log_time_us FROM orderline.dead_letters"
      " WHERE $1 = '' OR projection = $1 ORDER BY parked_at, log_partition, log_offset LIMIT $2",
      projection, static_cast<std::int64_t>(limit));
  std::vector<v1::DeadLetter> letters;
  for (const auto& row : rows) {
    v1::DeadLetter letter;
    letter.set_projection(row[0].as<std::string>());
    letter.set_partition(row[1].as<std::uint32_t>());
    letter.set_offset(row[2].as<std::uint64_t>());
    letter.set_stream_id(row[3].as<std::string>());
    letter.set_event_type(row[4].as<std::string>());
    letter.set_error(row[5].as<std::string>());
    letter.set_attempts(row[6].as<std::uint32_t>());
    letter.set_parked_at_us(row[7].as<std::int64_t>());
    letter.set_log_time_us(row[8].as<std::int64_t>());
    letters.push_back(std::move(letter));
  }
  return letters;
}

bool load_dead_letter(pqxx::dbtransaction& tx, const std::string& projection, std::uint32_t partition,
                      std::uint64_t offset, eventstore::LogRecord& record) {
  // FOR UPDATE: two operators retrying the same letter do not both apply it.
  const auto rows = tx.exec_params(
      "SELECT stream_id, log_time_us, record FROM orderline.dead_letters"
      " WHERE projection = $1 AND log_partition = $2 AND log_offset = $3 FOR UPDATE",
      projection, static_cast<std::int64_t>(partition), static_cast<std::int64_t>(offset));
  if (rows.empty()) return false;
  record.partition = partition;
  record.offset = offset;
  record.key = rows[0][0].as<std::string>();
  record.log_time_us = rows[0][1].as<std::int64_t>();
  record.value = pqxx::binarystring(rows[0][2]).str();
  return true;
}

bool delete_dead_letter(pqxx::dbtransaction& tx, const std::string& projection, std::uint32_t partition,
                        std::uint64_t offset) {
  return tx.exec_params(
                 "DELETE FROM orderline.dead_letters WHERE projection = $1 AND log_partition = $2 AND log_offset = $3",
                 projection, static_cast<std::int64_t>(partition), static_cast<std::int64_t>(offset))
             .affected_rows() > 0;
}

void record_dead_letter_failure(pqxx::dbtransaction& tx, const std::string& projection, std::uint32_t partition,
                                std::uint64_t offset, const std::string& error) {
  tx.exec_params(
      "UPDATE orderline.dead_letters SET attempts = attempts + 1, error = $4"
      " WHERE projection = $1 AND log_partition = $2 AND log_offset = $3",
      projection, static_cast<std::int64_t>(partition), static_cast<std::int64_t>(offset), storable_text(error));
}

}  // namespace orderline::projections::pg
