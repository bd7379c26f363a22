#include "commands/payments/simulated_provider.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace orderline::commands {
namespace {

// FNV-1a: stable across runs and platforms, unlike std::hash.
std::uint64_t fnv1a(std::string_view text, std::uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::optional<PaymentOp> parse_op(std::string_view name) {
  for (auto op : {PaymentOp::authorize, PaymentOp::complete_action, PaymentOp::capture, PaymentOp::void_hold,
                  PaymentOp::refund}) {
    if (name == to_string(op)) return op;
  }
  return std::nullopt;
}

void append_ledger_line(std::string& out, const LedgerEntry& e) {
  for (std::string_view field : {std::string_view(to_string(e.op)), std::string_view(e.idempotency_key),
                                 std::string_view(e.order_id), std::string_view(e.outcome)}) {
    out.append(field).push_back('\t');
  }
  out.append(std::to_string(e.amount_minor)).append("\t").append(e.currency).push_back('\n');
}

}  // namespace

const char* to_string(PaymentOp op) {
  switch (op) {
    case PaymentOp::authorize: return "authorize";
    case PaymentOp::complete_action: return "complete_action";
    case PaymentOp::capture: return "capture";
    case PaymentOp::void_hold: return "void";
    case PaymentOp::refund: return "refund";
  }
  return "unknown";
}

std::vector<LedgerEntry> read_ledger(const std::string& path) {
  std::vector<LedgerEntry> entries;
  std::ifstream in(path, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t start = 0;
  for (std::size_t end; (end = content.find('\n', start)) != std::string::npos; start = end + 1) {
    std::istringstream line(content.substr(start, end - start));
    std::string op, amount;
    LedgerEntry e;
    if (!std::getline(line, op, '\t') || !std::getline(line, e.idempotency_key, '\t') ||
        !std::getline(line, e.order_id, '\t') || !std::getline(line, e.outcome, '\t') ||
        !std::getline(line, amount, '\t') || !std::getline(line, e.currency)) {
      continue;
    }
    auto parsed = parse_op(op);
    if (!parsed) continue;
    e.op = *parsed;
    e.amount_minor = std::stoll(amount);
    entries.push_back(std::move(e));
  }
  return entries;
}

SimulatedPaymentProvider::SimulatedPaymentProvider(SimulatedProviderOptions options, Timers& timers,
                                                   std::function<std::int64_t()> now_us)
    : options_(std::move(options)), timers_(timers), now_us_(std::move(now_us)) {
  if (options_.ledger_path.empty()) return;
  // Replay the ledger: answers for the keys seen, and each payment's state.
  for (auto& e : read_ledger(options_.ledger_path)) {
    answers_[e.idempotency_key] = PaymentResult{e.outcome, "sim-" + e.order_id, ""};
    if (e.outcome != "failed") payments_[e.order_id].state = e.outcome;
    ledger_.push_back(std::move(e));
  }
  fd_ = ::open(options_.ledger_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open the payment ledger " + options_.ledger_path);
  // A line torn by a crash mid-write was never answered: cut it off, or the next line would
  // be glued to it.
  std::ifstream in(options_.ledger_path, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto last_newline = content.rfind('\n');
  const auto keep = last_newline == std::string::npos ? 0 : last_newline + 1;
  if (keep != content.size() && ::ftruncate(fd_, static_cast<off_t>(keep)) != 0) {
    throw std::runtime_error("cannot repair the payment ledger " + options_.ledger_path);
  }
}

SimulatedPaymentProvider::~SimulatedPaymentProvider() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<LedgerEntry> SimulatedPaymentProvider::ledger() const {
  std::lock_guard lock(mutex_);
  return ledger_;
}

bool SimulatedPaymentProvider::draw(const std::string& order_id, double below, std::uint64_t salt) const {
  const auto h = fnv1a(order_id, fnv1a(std::to_string(options_.seed) + ":" + std::to_string(salt)));
  return static_cast<double>(h % 1'000'000) / 1'000'000.0 < below;
}

void SimulatedPaymentProvider::persist(const std::string& lines) {
  if (fd_ < 0 || lines.empty()) return;
  for (std::size_t done = 0; done < lines.size();) {
    const auto n = ::write(fd_, lines.data() + done, lines.size() - done);
    if (n <= 0) throw std::runtime_error("cannot write the payment ledger " + options_.ledger_path);
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) throw std::runtime_error("cannot sync the payment ledger " + options_.ledger_path);
}

PaymentResult SimulatedPaymentProvider::decide(const PaymentRequest& request) {
  auto& payment = payments_[request.order_id];
  std::string& state = payment.state;
  PaymentResult result{"", "sim-" + request.order_id, ""};
  switch (request.op) {
    case PaymentOp::authorize:
      if (state == "voided") {
        result = {"declined", result.reference, "voided before it was authorised"};
      } else if (!state.empty()) {
        result.outcome = state;  // a second authorisation of the same payment changes nothing
      } else if (draw(request.order_id, options_.decline_rate, 1)) {
        result = {"declined", result.reference, "card declined (simulated)"};
      } else if (draw(request.order_id, options_.requires_action_rate, 2)) {
        result = {"requires_action", result.reference, "3-D Secure required (simulated)"};
      } else {
        result.outcome = "authorized";
      }
      break;
    case PaymentOp::complete_action:
      result.outcome = state == "requires_action" || state == "authorized" ? "authorized" : "declined";
      if (result.outcome == "declined") result.detail = "no payment awaits an action";
      break;
    case PaymentOp::capture:
      result.outcome = state == "authorized" || state == "captured" ? "captured" : "failed";
      if (result.outcome == "failed") result.detail = "nothing authorised to capture";
      break;
    case PaymentOp::void_hold:
      result.outcome = state == "captured" || state == "refunded" ? "failed" : "voided";
      if (result.outcome == "failed") result.detail = "already captured: refund instead";
      break;
    case PaymentOp::refund:
      result.outcome = state == "captured" || state == "refunded" ? "refunded" : "failed";
      if (result.outcome == "failed") result.detail = "nothing captured to refund";
      break;
  }
  if (result.outcome != "failed") state = result.outcome;
  return result;
}

void SimulatedPaymentProvider::submit(PaymentRequest request, PaymentCallback done) {
  std::vector<PaymentCall> one;
  one.push_back({std::move(request), std::move(done)});
  submit_all(std::move(one));
}

void SimulatedPaymentProvider::submit_all(std::vector<PaymentCall> calls) {
  std::vector<PaymentResult> results(calls.size());
  {
    std::lock_guard lock(mutex_);
    std::string lines;  // the movements of these calls, made durable by one fdatasync
    for (std::size_t i = 0; i < calls.size(); ++i) {
      const auto& request = calls[i].request;
      if (auto it = answers_.find(request.idempotency_key); it != answers_.end()) {
        results[i] = it->second;
        continue;
      }
      results[i] = decide(request);
      answers_.emplace(request.idempotency_key, results[i]);
      ledger_.push_back({request.op, request.idempotency_key, request.order_id, results[i].outcome,
                         request.amount.amount_minor(), request.amount.currency()});
      append_ledger_line(lines, ledger_.back());
    }
    // Durable before anything is answered: the caller may act on an answer at once.
    persist(lines);
  }
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto& done = calls[i].done;
    if (options_.latency_us <= 0) {
      done(std::move(results[i]));
      continue;
    }
    timers_.at(now_us_() + options_.latency_us,
               [done = std::move(done), result = std::move(results[i])]() mutable { done(std::move(result)); });
  }
}

}  // namespace orderline::commands
