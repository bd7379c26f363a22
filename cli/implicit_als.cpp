#include "cli/implicit_als.h"

#include <random>

namespace orderline::cli {

ImplicitAls::ImplicitAls(std::size_t users, std::size_t items, const std::vector<Interaction>& interactions,
                         AlsOptions options)
    : options_(options) {
  std::vector<std::vector<std::pair<std::size_t, double>>> by_user(users), by_item(items);
  for (const auto& i : interactions) {
    by_user[i.user].emplace_back(i.item, i.count);
    by_item[i.item].emplace_back(i.user, i.count);
  }
  std::mt19937 random(options_.seed);
  std::normal_distribution<double> small(0, 0.01);
  auto init = [&](Eigen::MatrixXd& m, std::size_t rows) {
    m.resize(static_cast<Eigen::Index>(rows), options_.factors);
    for (Eigen::Index r = 0; r < m.rows(); ++r) {
      for (Eigen::Index c = 0; c < m.cols(); ++c) m(r, c) = small(random);
    }
  };
  init(users_, users);
  init(items_, items);
  for (int it = 0; it < options_.iterations; ++it) {
    solve_side(users_, items_, by_user);
    solve_side(items_, users_, by_item);
  }
}

void ImplicitAls::solve_side(Eigen::MatrixXd& solve, const Eigen::MatrixXd& fixed,
                             const std::vector<std::vector<std::pair<std::size_t, double>>>& rows) const {
  const Eigen::Index f = options_.factors;
  const Eigen::MatrixXd gram = fixed.transpose() * fixed;  // Y^T Y, shared by every row
  const Eigen::MatrixXd ridge = options_.regularization * Eigen::MatrixXd::Identity(f, f);
  for (std::size_t row = 0; row < rows.size(); ++row) {
    Eigen::MatrixXd a = gram + ridge;
    Eigen::VectorXd b = Eigen::VectorXd::Zero(f);
    for (const auto& [other, count] : rows[row]) {
      const double confidence = 1 + options_.alpha * count;
      const auto y = fixed.row(static_cast<Eigen::Index>(other)).transpose();
      a.noalias() += (confidence - 1) * y * y.transpose();
      b.noalias() += confidence * y;
    }
    solve.row(static_cast<Eigen::Index>(row)) = a.ldlt().solve(b).transpose();
  }
}

}  // namespace orderline::cli
