#pragma once
// Implicit-feedback matrix factorisation (Hu, Koren, Volinsky, "Collaborative Filtering for
// Implicit Feedback Datasets", ICDM 2008), the baseline `orderctl recs evaluate` compares our
// item-to-item model with. Preference p_ui = 1 when user u bought item i, with confidence
// c_ui = 1 + alpha * r_ui (r_ui: u's orders holding i); every unobserved pair is p = 0, c = 1.
// Alternating exact least squares, with the paper's trick so a user's step costs
// O(f^2 n_u + f^3), not O(f^2 items):
//   x_u = (Y^T Y + Y^T (C_u - I) Y + lambda I)^-1 Y^T C_u p_u
// and symmetrically for the items.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <Eigen/Dense>

namespace orderline::cli {

struct AlsOptions {
  int factors = 32;
  double regularization = 0.1;  // lambda
  double alpha = 10;            // confidence per observed order
  int iterations = 15;
  std::uint32_t seed = 42;      // of the initial factors, so runs repeat
};

struct Interaction {
  std::size_t user;
  std::size_t item;
  double count;  // r_ui > 0
};

class ImplicitAls {
 public:
  // Trains on the interactions (users and items numbered from 0).
  ImplicitAls(std::size_t users, std::size_t items, const std::vector<Interaction>& interactions, AlsOptions options);
  // Predicted preference of every item for one user.
  Eigen::VectorXd scores(std::size_t user) const { return items_ * users_.row(static_cast<Eigen::Index>(user)).transpose(); }

 private:
  // One half-step: solves every row of `solve` with `fixed` held.
  void solve_side(Eigen::MatrixXd& solve, const Eigen::MatrixXd& fixed,
                  const std::vector<std::vector<std::pair<std::size_t, double>>>& rows) const;

  AlsOptions options_;
  Eigen::MatrixXd users_;  // users x factors
  Eigen::MatrixXd items_;  // items x factors
};

}  // namespace orderline::cli
