#include "projections/recommendations/ranking_metrics.h"

#include <algorithm>
#include <cmath>

namespace orderline::recommendations {

RankingScores score_ranking(const std::vector<std::string>& ranked, const std::unordered_set<std::string>& relevant,
                            std::size_t k) {
  RankingScores out;
  if (relevant.empty() || k == 0) return out;
  const std::size_t n = std::min(ranked.size(), k);
  std::size_t hits = 0;
  double dcg = 0;
  double precision_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!relevant.count(ranked[i])) continue;
    ++hits;
    dcg += 1.0 / std::log2(static_cast<double>(i) + 2.0);
    precision_sum += static_cast<double>(hits) / static_cast<double>(i + 1);
  }
  const std::size_t ideal_hits = std::min(relevant.size(), k);
  double ideal = 0;
  for (std::size_t i = 0; i < ideal_hits; ++i) ideal += 1.0 / std::log2(static_cast<double>(i) + 2.0);
  out.precision = static_cast<double>(hits) / static_cast<double>(k);
  out.recall = static_cast<double>(hits) / static_cast<double>(relevant.size());
  out.ndcg = dcg / ideal;
  out.average_precision = precision_sum / static_cast<double>(ideal_hits);
  return out;
}

void RankingSummary::add(const std::vector<std::string>& ranked, const std::unordered_set<std::string>& relevant,
                         std::size_t k) {
  const auto scores = score_ranking(ranked, relevant, k);
  per_user_.push_back(scores);
  sum_.precision += scores.precision;
  sum_.recall += scores.recall;
  sum_.ndcg += scores.ndcg;
  sum_.average_precision += scores.average_precision;
  for (std::size_t i = 0; i < std::min(ranked.size(), k); ++i) recommended_.insert(ranked[i]);
}

RankingScores RankingSummary::mean() const {
  if (per_user_.empty()) return {};
  const double n = static_cast<double>(per_user_.size());
  return {sum_.precision / n, sum_.recall / n, sum_.ndcg / n, sum_.average_precision / n};
}

double RankingSummary::coverage(std::size_t catalogue_size) const {
  if (catalogue_size == 0) return 0;
  return static_cast<double>(recommended_.size()) / static_cast<double>(catalogue_size);
}

PairedDifference paired_difference(const RankingSummary& a, const RankingSummary& b, double RankingScores::*metric) {
  const auto& x = a.per_user();
  const auto& y = b.per_user();
  const std::size_t n = std::min(x.size(), y.size());
  PairedDifference out;
  if (n == 0) return out;
  for (std::size_t i = 0; i < n; ++i) out.mean += x[i].*metric - y[i].*metric;
  out.mean /= static_cast<double>(n);
  if (n < 2) return out;
  double squares = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = x[i].*metric - y[i].*metric - out.mean;
    squares += d * d;
  }
  const double sd = std::sqrt(squares / static_cast<double>(n - 1));
  out.half_width = 1.96 * sd / std::sqrt(static_cast<double>(n));
  return out;
}

}  // namespace orderline::recommendations
