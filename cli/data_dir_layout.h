#pragma once
// The parts of an orderd data directory that more than one piece of code names: the engine
// and the gateway create them, online backups copy them and restore puts them back. One
// spelling, so a renamed part cannot silently drop out of backups.
namespace orderline::cli::data_dir {

inline constexpr const char* kLog = "log";                      // the embedded event log (RocksDB)
inline constexpr const char* kReadModels = "readmodels";        // the RocksDB read models
inline constexpr const char* kSaga = "saga";                    // the saga's checkpoints and time-outs (RocksDB)
inline constexpr const char* kCustomerKeys = "keys";            // per-customer keys of sealed personal data (RocksDB)
inline constexpr const char* kPaymentLedger = "payments.ledger";  // the simulated payment provider's ledger
inline constexpr const char* kTokenSecret = "auth/token-secret";  // the HMAC key of access tokens
// Password-reset tokens of the built-in sender (development only; docs/security.md).
inline constexpr const char* kResetTokens = "auth/reset-tokens.jsonl";

}  // namespace orderline::cli::data_dir
