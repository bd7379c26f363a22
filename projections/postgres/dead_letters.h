#pragma once
// The dead letters of the PostgreSQL projector (orderline.dead_letters, migration 006): what a
// poison event looks like, how the projector parks one inside its batch transaction, and what
// operators do with them (list, retry, skip) through PostgresProjections.
#include <pqxx/pqxx>

#include <cstdint>
#include <string>
#include <vector>

#include "eventstore/event_log.h"
#include "orderline/v1/views.pb.h"

namespace orderline::projections::pg {

// A failed statement caused by the data of an event (SQLSTATE class 22 data exception or 23
// integrity violation), which the same event will cause again however often it is retried;
// anything else (a lost connection, a full disk, a killed session) is the server's and is
// retried with backoff, never parked.
bool is_data_error(const pqxx::sql_error& error);

// Makes `text` storable as PostgreSQL text: NUL (which text cannot hold) becomes U+FFFD.
std::string storable_text(std::string text);

// Records `record` as a dead letter of `projection` (an update when it was parked before:
// a rebuild meets the same poison again).
void park_dead_letter(pqxx::dbtransaction& tx, const std::string& projection, const eventstore::LogRecord& record,
                      const std::string& event_type, const std::string& error, int attempts);

// Oldest first; `projection` "" for all.
std::vector<v1::DeadLetter> list_dead_letters(pqxx::connection& connection, const std::string& projection,
                                              std::size_t limit);

// The parked record (its value in `record.value`, its position and log time), or false.
bool load_dead_letter(pqxx::dbtransaction& tx, const std::string& projection, std::uint32_t partition,
                      std::uint64_t offset, eventstore::LogRecord& record);
// True when there was one to delete.
bool delete_dead_letter(pqxx::dbtransaction& tx, const std::string& projection, std::uint32_t partition,
                        std::uint64_t offset);
// Counts one more attempt and its failure.
void record_dead_letter_failure(pqxx::dbtransaction& tx, const std::string& projection, std::uint32_t partition,
                                std::uint64_t offset, const std::string& error);

}  // namespace orderline::projections::pg
