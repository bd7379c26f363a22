#pragma once
// Top-k ranking metrics of one recommendation list against the set of relevant items, with
// binary relevance. For a list r_1..r_n (n <= k used) and relevant set R (|R| > 0):
//   precision@k = hits / k                        (k, not n: a short list is not rewarded)
//   recall@k    = hits / |R|
//   DCG@k       = sum over hits at rank i of 1 / log2(i + 1);  NDCG@k = DCG / ideal DCG, the
//                 ideal putting min(|R|, k) hits first
//   AP@k        = (sum over hits at rank i of precision@i) / min(|R|, k);  MAP is its mean
// Worked example (tests/unit/recs_metrics_test.cpp): list [a, x, b], R = {a, b, c}, k = 3:
// precision 2/3, recall 2/3, DCG 1 + 1/2, ideal 1 + 1/log2(3) + 1/2, AP (1 + 2/3) / 3.
#include <cstddef>
#include <string>
#include <unordered_set>
#include <vector>

namespace orderline::recommendations {

struct RankingScores {
  double precision = 0;
  double recall = 0;
  double ndcg = 0;
  double average_precision = 0;
};

RankingScores score_ranking(const std::vector<std::string>& ranked, const std::unordered_set<std::string>& relevant,
                            std::size_t k);

// Means over users, plus catalogue coverage: distinct items recommended / catalogue size.
class RankingSummary {
 public:
  void add(const std::vector<std::string>& ranked, const std::unordered_set<std::string>& relevant, std::size_t k);
  std::size_t users() const { return per_user_.size(); }
  RankingScores mean() const;
  double coverage(std::size_t catalogue_size) const;
  // Each user's scores, in the order they were added.
  const std::vector<RankingScores>& per_user() const { return per_user_; }

 private:
  std::vector<RankingScores> per_user_;
  RankingScores sum_;
  std::unordered_set<std::string> recommended_;
};

// Whether model a beats model b on one metric beyond noise: the mean over users of a's score
// minus b's (the same users, in the same order) with the half-width of its 95 % confidence
// interval (1.96 standard errors of the mean of the paired differences, normal approximation).
// A difference whose interval holds 0 is not a win. E.g. differences {0.1, 0.3}: mean 0.2,
// sample sd 0.1414, half-width 1.96 * 0.1414 / sqrt(2) = 0.196.
struct PairedDifference {
  double mean = 0;
  double half_width = 0;
};
PairedDifference paired_difference(const RankingSummary& a, const RankingSummary& b, double RankingScores::*metric);

}  // namespace orderline::recommendations
