#pragma once
// The built-in payment provider: decides like a card processor would, without one. Its
// answers are deterministic for a given seed and order (a hash of both, not a random stream,
// so the order in which payments arrive does not change who is declined), arrive after a
// configurable latency through Timers, and are kept in a ledger: a repeated idempotency key
// gets the first answer. With a ledger file the ledger survives restarts (each movement is
// fsynced before it is answered), as a real provider keeps its keys; tests read the file to
// prove that a restart charged nobody twice.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "commands/payments/payment_provider.h"
#include "commands/timers.h"

namespace orderline::commands {

struct SimulatedProviderOptions {
  double decline_rate = 0.0;          // share of authorisations declined (0..1)
  double requires_action_rate = 0.0;  // share answered requires_action (0..1, after declines)
  std::int64_t latency_us = 0;        // delay of every answer (0: answered inline)
  std::uint64_t seed = 0;             // picks who is declined; same seed, same decisions
  std::string ledger_path;            // empty: in memory only
};

// One line of the ledger: a movement the provider performed (repeats are not written).
struct LedgerEntry {
  PaymentOp op = PaymentOp::authorize;
  std::string idempotency_key;
  std::string order_id;
  std::string outcome;
  std::int64_t amount_minor = 0;
  std::string currency;
};

class SimulatedPaymentProvider final : public PaymentProvider {
 public:
  // Throws std::runtime_error when the ledger file cannot be opened.
  SimulatedPaymentProvider(SimulatedProviderOptions options, Timers& timers, std::function<std::int64_t()> now_us);
  ~SimulatedPaymentProvider() override;

  void submit(PaymentRequest request, PaymentCallback done) override;
  // Decides the calls in order, writes their new movements with one fdatasync, then answers.
  void submit_all(std::vector<PaymentCall> calls) override;

  // Every movement performed, in order (repeats of a key excluded).
  std::vector<LedgerEntry> ledger() const;

 private:
  struct Payment {
    std::string state;  // authorized, requires_action, captured, voided, refunded, declined
  };
  PaymentResult decide(const PaymentRequest& request);
  // Appends ledger lines to the file and syncs them; throws std::runtime_error when it cannot.
  void persist(const std::string& lines);
  bool draw(const std::string& order_id, double below, std::uint64_t salt) const;

  SimulatedProviderOptions options_;
  Timers& timers_;
  std::function<std::int64_t()> now_us_;
  mutable std::mutex mutex_;
  std::map<std::string, PaymentResult> answers_;  // idempotency key -> first answer
  std::map<std::string, Payment> payments_;       // order id -> state
  std::vector<LedgerEntry> ledger_;
  int fd_ = -1;
};

// Reads a ledger file (a torn last line, from a crash mid-write, is ignored).
std::vector<LedgerEntry> read_ledger(const std::string& path);

}  // namespace orderline::commands
