// The ablation schemes and the domination test of METHOD.md ("Quantitative
// analyses"), built on ablation.h (zeroing channels, measuring accuracy):
//
//   scheme              the neurons of one layer it keeps (or removes)
//   all                 every neuron: must reproduce the network's accuracy
//   cluster i           the members of neuron cluster i (keep, or remove)
//   category group c    the neurons whose dominant category is c (keep, or remove)
//   priority            the first n of the priority round-robin over categories
//   weight norm         the n neurons whose producing weights have the largest L2 norm
//   random              n neurons drawn at random, over several seeds (mean and spread)
//
// Domination test: for each n and category c, remove the top n of c's group
// (fewer when the group is smaller) and compare the accuracy drop of class c
// with the mean drop of the other classes, and with random sets of the same
// size (over seeds). A method that finds the neurons carrying each category
// shows a much larger drop for c than for the others and than for random sets.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "interpret/ablation.h"
#include "interpret/category_clustering.h"

namespace nl {

// ---- choosing sets -------------------------------------------------------

// L2 norm of each output channel's weights (and bias) of the op producing `node`.   returns [K]
Result<std::vector<double>> channel_weight_norms(Graph& graph, int node);

// The n indices of the largest values, largest first (ties: lower index first).
std::vector<int> top_n_by_value(const std::vector<double>& values, int64_t n);

// n distinct neurons of 0..k-1 drawn uniformly (seeded; the same on every build), sorted.
std::vector<int> random_neurons(int64_t k, int64_t n, uint64_t seed);

// 0..k-1 without `set`, sorted.
std::vector<int> complement_of(int64_t k, const std::vector<int>& set);

// ---- running schemes -----------------------------------------------------

struct AblationScheme {
  std::string name;       // e.g. "keep cluster 2", "remove group Sandal", "keep 16 by weight norm"
  std::string kind;       // "all", "cluster", "category-group", "priority", "weight-norm", "random"
  bool keep = true;       // the chosen set is kept (true) or removed (false)
  std::vector<int> chosen;                 // the set the scheme names
  std::vector<uint64_t> seeds;             // random only: one run per seed (chosen is the first seed's set)
};

struct AblationOutcome {
  AblationScheme scheme;
  std::vector<int> kept;          // the neurons kept (first seed's, for random), sorted
  int64_t parameters_kept = 0;    // of the producing op (mean over seeds for random)
  int64_t parameters_total = 0;
  AccuracyReport accuracy;        // the mean over seeds for random
  std::vector<AccuracyReport> per_seed;  // random only
  double overall_std = 0;                // random only: spread of the overall accuracy over seeds
};

struct AblationPlan {
  int64_t budget = -1;          // n for priority, weight norm and random (-1: half the layer, rounded up)
  int random_seeds = 5;         // at least 5 (METHOD.md)
  uint64_t seed = 0;
  bool keep_and_remove = true;  // clusters and groups: both keep and remove (else keep only)
};

// Called after each evaluation with (done, total); return false to cancel.
using AblationProgress = std::function<bool(int64_t done, int64_t total)>;

// The schemes for a layer of k neurons: all, each cluster (when cluster_ids is
// non-empty: [k] ids), each non-empty category group (when groups has members),
// priority, weight norm (when norms is non-empty: [k]), random.
std::vector<AblationScheme> standard_ablation_schemes(int64_t k, const std::vector<int32_t>& cluster_ids,
                                                      const CategoryGroups& groups,
                                                      const std::vector<std::string>& class_names,
                                                      const std::vector<double>& norms, const AblationPlan& plan);

// Evaluates each scheme on the set (one evaluation per scheme, per seed for random).
Result<std::vector<AblationOutcome>> run_ablation_schemes(Executor& ex, const ImageSet& set, int classes, int node,
                                                          const std::vector<AblationScheme>& schemes,
                                                          const AblationProgress& progress = nullptr);

// ---- the domination test ---------------------------------------------------

struct DominationTestRow {
  int64_t n = 0;                   // requested
  int category = 0;
  int64_t removed = 0;             // min(n, group size)
  std::vector<int> removed_neurons;
  double base_accuracy = 0;        // class c, nothing removed
  double target_drop = 0;          // class c's accuracy drop
  double others_mean_drop = 0;     // mean drop of the other classes
  double random_target_drop = 0;   // class c's drop with random sets of `removed` neurons (mean over seeds)
  double random_others_mean_drop = 0;
};

struct DominationTestSummary {
  int64_t n = 0;
  double target_drop = 0;          // means over the categories with a non-empty group
  double others_mean_drop = 0;
  double random_target_drop = 0;
  double random_others_mean_drop = 0;
  int64_t categories = 0;          // how many categories entered the means
};

struct DominationTest {
  AccuracyReport baseline;
  std::vector<DominationTestRow> rows;          // n-major, then category
  std::vector<DominationTestSummary> summary;   // one per n
  int random_seeds = 0;
};

// groups: category groups at `node` (best first). ns: the sizes to test.
Result<DominationTest> domination_test(Executor& ex, const ImageSet& set, int classes, int node,
                                       const CategoryGroups& groups, const std::vector<int64_t>& ns, int random_seeds,
                                       uint64_t seed, const AblationProgress& progress = nullptr);

}  // namespace nl
