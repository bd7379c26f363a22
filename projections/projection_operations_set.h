#pragma once
// Several sinks' ProjectionOperations as one (the RocksDB read models and, with --pg, the
// PostgreSQL ones): list() concatenates; an operation goes to the first member that knows the
// projection's name (names are unique across sinks, e.g. order_details vs orders).
#include <optional>
#include <vector>

#include "projections/projection_operations.h"

namespace orderline::projections {

class ProjectionOperationsSet final : public ProjectionOperations {
 public:
  explicit ProjectionOperationsSet(std::vector<ProjectionOperations*> members) : members_(std::move(members)) {}

  std::vector<ProjectionStatus> list() const override {
    std::vector<ProjectionStatus> all;
    for (auto* member : members_) {
      for (auto& status : member->list()) all.push_back(std::move(status));
    }
    return all;
  }
  OperationResult rebuild(const std::string& name) override {
    return first([&](ProjectionOperations& m) { return m.rebuild(name); });
  }
  OperationResult pause(const std::string& name) override {
    return first([&](ProjectionOperations& m) { return m.pause(name); });
  }
  OperationResult resume(const std::string& name) override {
    return first([&](ProjectionOperations& m) { return m.resume(name); });
  }
  OperationResult reset(const std::string& name) override {
    return first([&](ProjectionOperations& m) { return m.reset(name); });
  }
  std::vector<v1::DeadLetter> dead_letters(const std::string& projection, std::size_t limit) const override {
    std::vector<v1::DeadLetter> all;
    for (auto* member : members_) {
      for (auto& letter : member->dead_letters(projection, limit - std::min(limit, all.size()))) {
        all.push_back(std::move(letter));
      }
    }
    return all;
  }
  OperationResult retry_dead_letter(const std::string& id) override {
    return first([&](ProjectionOperations& m) { return m.retry_dead_letter(id); });
  }
  OperationResult skip_dead_letter(const std::string& id) override {
    return first([&](ProjectionOperations& m) { return m.skip_dead_letter(id); });
  }

 private:
  template <typename Operation>
  OperationResult first(Operation operation) {
    std::optional<OperationResult> first_refusal;
    for (auto* member : members_) {
      auto result = operation(*member);
      if (result.code != OperationResult::Code::not_found) return result;
      if (!first_refusal) first_refusal = std::move(result);
    }
    return first_refusal.value_or(OperationResult{OperationResult::Code::not_found, "no such projection"});
  }

  std::vector<ProjectionOperations*> members_;
};

}  // namespace orderline::projections
