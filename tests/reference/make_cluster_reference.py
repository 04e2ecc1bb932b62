#!/usr/bin/python3
"""SciPy / scikit-learn / NumPy answers for the [cluster] tests.

Usage:  /usr/bin/python3 tests/reference/make_cluster_reference.py [OUTPUT_DIR]

Writes OUTPUT_DIR/cluster_reference.h (default OUTPUT_DIR: this script's own
folder, where the generated header is committed). The header holds fixed
inputs and what the Python libraries compute from them:
  - scipy.cluster.hierarchy.linkage (Z), leaves_list and fcluster 'maxclust'
    for every k, on points (Euclidean and cosine) and on a precomputed
    correlation distance matrix, for single / complete / average / Ward;
  - sklearn.metrics silhouette_score / silhouette_samples (Euclidean, cosine);
  - sklearn cosine_similarity and numpy.corrcoef.
Inputs are float32 values (the engine's features are float32), written as the
exact decimal of each value, so both sides start from identical numbers.

fcluster 'maxclust': SciPy 1.10 (Debian 12) never tries the lowest merge
height in its bisection and returns a single cluster for k >= n; later SciPy
fixed that. The expected labels here follow the fixed search: the lowest merge
height t whose cut leaves at most k clusters, labelled by SciPy's own
fcluster(Z, t, 'monocrit', monocrit=maxdists(Z)) (the routine maxclust ends
with), or each leaf alone when k >= n. Where SciPy's own maxclust agrees
(whenever its bisection can reach the answer), the script checks it does.

Run it after changing an input; the tests include the header directly.
"""
import os
import sys

import numpy as np
import scipy
import sklearn
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist, squareform
from sklearn.metrics import silhouette_samples, silhouette_score
from sklearn.metrics.pairwise import cosine_similarity


def c_double(x):
    return repr(float(x))  # shortest decimal that reads back as the same double


def c_array(ctype, name, values, per_line=6, comment=""):
    values = list(values)
    if ctype == "float":
        items = [repr(float(np.float32(v))) + "f" for v in values]
    elif ctype == "double":
        items = [c_double(v) for v in values]
    else:
        items = [str(int(v)) for v in values]
    lines = []
    for i in range(0, len(items), per_line):
        lines.append("    " + ", ".join(items[i:i + per_line]) + ",")
    head = f"inline constexpr {ctype} {name}[] = {{" + (f"  // {comment}" if comment else "")
    return head + "\n" + "\n".join(lines) + "\n};\n"


def maxclust_fixed(Z, n, k):
    """Labels (1-based) of fcluster maxclust as fixed after SciPy 1.10."""
    if k >= n:
        return np.arange(1, n + 1)
    mc = hierarchy.maxdists(Z)
    for i in range(n - 1):  # the bisection finds the lowest such row
        labels = hierarchy.fcluster(Z, mc[i], criterion="monocrit", monocrit=mc)
        if len(np.unique(labels)) <= k:
            return labels
    raise AssertionError("unreachable: the root leaves one cluster")


def maxclust_table(Z, n):
    """[n x n]: row k-1 holds the 0-based labels for at most k clusters."""
    global maxclust_differences
    rows = []
    mc = hierarchy.maxdists(Z)
    lowest_cut = hierarchy.fcluster(Z, mc[0], criterion="monocrit", monocrit=mc)
    for k in range(1, n + 1):
        fixed = maxclust_fixed(Z, n, k)
        own = hierarchy.fcluster(Z, k, criterion="maxclust")
        # Any SciPy's search reaches the answer unless it is the cut at the
        # lowest merge height or k >= n; there they must agree exactly.
        if k < n and not np.array_equal(fixed, lowest_cut):
            assert np.array_equal(own, fixed), (k, own, fixed)
        maxclust_differences += int(not np.array_equal(own, fixed))
        rows.extend(int(v) - 1 for v in fixed)
    return rows


maxclust_differences = 0


def float32_rows(a):
    return np.asarray(a, dtype=np.float32)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.RandomState(20240611)
    parts = []
    cases = []

    # ---- points: three loose groups in 3-D, no ties ------------------------------
    centres = np.array([[0.0, 0.0, 1.0], [4.0, 1.0, 0.5], [1.0, 5.0, 2.0]])
    blobs = float32_rows(np.vstack([c + 0.8 * rng.randn(4, 3) for c in centres])[rng.permutation(12)])
    parts.append(c_array("float", "kBlobs", blobs.ravel(), 3, "[12 x 3]"))

    # ---- points on a grid: exact ties and a duplicate point ----------------------
    grid = float32_rows([[0, 0], [1, 0], [0, 1], [1, 1], [3, 0], [4, 0], [3, 1], [5, 5], [5, 6], [0, 0], [2, 3]])
    parts.append(c_array("float", "kGrid", grid.ravel(), 2, "[11 x 2], ties and a duplicate of point 0"))

    # ---- a larger cloud: 40 points in 5-D (long nearest-neighbour chains) -------
    cloud = float32_rows(rng.randn(40, 5) * np.array([1.0, 2.0, 0.5, 1.5, 1.0]) + rng.randn(40, 1) * 2.0 + 0.5)
    parts.append(c_array("float", "kCloud", cloud.ravel(), 5, "[40 x 5]"))

    # ---- category profiles: 10 categories x 16 neurons, non-negative -------------
    profiles = float32_rows(np.maximum(rng.randn(10, 16) + np.repeat(rng.rand(10, 1) * 2, 16, axis=1), 0)
                            * rng.rand(1, 16) * 3)
    parts.append(c_array("float", "kProfiles", profiles.ravel(), 4, "[10 x 16]"))
    x = profiles.astype(np.float64)
    correlation = np.corrcoef(x)
    parts.append(c_array("double", "kProfilesPearson", correlation.ravel(), 4, "[10 x 10] numpy.corrcoef"))
    parts.append(c_array("double", "kProfilesCosine", cosine_similarity(x).ravel(), 4,
                         "[10 x 10] sklearn cosine_similarity"))
    # 1 - r, made exactly symmetric with a zero diagonal (the engine's input rules)
    upper = np.triu(np.maximum(1.0 - correlation, 0.0), 1)
    correlation_distance = upper + upper.T
    parts.append(c_array("double", "kProfilesCorrelationDistance", correlation_distance.ravel(), 4,
                         "[10 x 10] 1 - r, zero diagonal"))

    # ---- linkage cases -------------------------------------------------------------
    inputs = [("kBlobs", blobs, ["euclidean", "cosine"]), ("kGrid", grid, ["euclidean"]),
              ("kCloud", cloud, ["euclidean", "cosine"])]
    for points_name, points, metrics in inputs:
        n, d = points.shape
        for metric in metrics:
            for method in ["single", "complete", "average", "ward"]:
                if method == "ward" and metric != "euclidean":
                    continue
                Z = hierarchy.linkage(points.astype(np.float64), method=method, metric=metric)
                stem = f"{points_name}_{metric}_{method}"
                parts.append(c_array("double", f"{stem}_Z", Z.ravel(), 4))
                parts.append(c_array("int", f"{stem}_leaves", hierarchy.leaves_list(Z), 12))
                parts.append(c_array("int", f"{stem}_maxclust", maxclust_table(Z, n), n))
                cases.append(f'{{"{stem}", {points_name}, nullptr, {n}, {d}, "{metric}", "{method}", '
                             f"{stem}_Z, {stem}_leaves, {stem}_maxclust}}")
    n = correlation_distance.shape[0]
    for method in ["single", "complete", "average", "ward"]:
        Z = hierarchy.linkage(squareform(correlation_distance, checks=True), method=method)
        stem = f"kProfilesCorrelation_{method}"
        parts.append(c_array("double", f"{stem}_Z", Z.ravel(), 4))
        parts.append(c_array("int", f"{stem}_leaves", hierarchy.leaves_list(Z), 12))
        parts.append(c_array("int", f"{stem}_maxclust", maxclust_table(Z, n), n))
        cases.append(f'{{"{stem}", nullptr, kProfilesCorrelationDistance, {n}, 0, "precomputed", "{method}", '
                     f"{stem}_Z, {stem}_leaves, {stem}_maxclust}}")

    # ---- silhouette ------------------------------------------------------------------
    labels_true = hierarchy.fcluster(hierarchy.linkage(blobs.astype(np.float64), "ward"), 3, "maxclust") - 1
    labels_mixed = labels_true.copy()
    labels_mixed[0] = (labels_mixed[0] + 1) % 3  # one point in the wrong group
    labels_singleton = labels_true.copy()
    labels_singleton[5] = 7  # a cluster of one point (sklearn gives it s = 0)
    silhouettes = []
    for name, labels in [("three_groups", labels_true), ("one_misplaced", labels_mixed),
                         ("with_singleton", labels_singleton)]:
        parts.append(c_array("int", f"kSilhouetteLabels_{name}", labels, 12))
        for metric in ["euclidean", "cosine"]:
            X = blobs.astype(np.float64)
            score = silhouette_score(X, labels, metric=metric)
            samples = silhouette_samples(X, labels, metric=metric)
            stem = f"kSilhouette_{name}_{metric}"
            parts.append(c_array("double", f"{stem}_samples", samples, 4))
            silhouettes.append(f'{{"{name}/{metric}", kSilhouetteLabels_{name}, "{metric}", {c_double(score)}, '
                               f"{stem}_samples}}")

    header = [
        "// Generated by tests/reference/make_cluster_reference.py: do not edit.",
        f"// SciPy {scipy.__version__}, scikit-learn {sklearn.__version__}, NumPy {np.__version__}.",
        "// Expected answers of the [cluster] tests (see the script for what each is).",
        "#pragma once",
        "",
        "namespace cluster_reference {",
        "",
    ]
    footer = [
        "struct LinkageCase {",
        "  const char* name;",
        "  const float* points;        // [n x d], or nullptr when distances are given",
        "  const double* distances;    // [n x n], or nullptr",
        "  int n, d;",
        '  const char* metric;         // "euclidean", "cosine" or "precomputed"',
        '  const char* method;         // "single", "complete", "average", "ward"',
        "  const double* z;            // [(n - 1) x 4], SciPy's linkage matrix",
        "  const int* leaves;          // [n], leaves_list",
        "  const int* maxclust;        // [n x n], row k - 1: 0-based fcluster maxclust labels for k",
        "};",
        "",
        "inline const LinkageCase kLinkageCases[] = {",
        *[f"    {c}," for c in cases],
        "};",
        "",
        "struct SilhouetteCase {",
        "  const char* name;",
        "  const int* labels;          // [12], for kBlobs",
        "  const char* metric;",
        "  double score;               // silhouette_score",
        "  const double* samples;      // [12], silhouette_samples",
        "};",
        "",
        "inline const SilhouetteCase kSilhouetteCases[] = {",
        *[f"    {c}," for c in silhouettes],
        "};",
        "",
        "}  // namespace cluster_reference",
        "",
    ]
    path = os.path.join(out_dir, "cluster_reference.h")
    with open(path, "w") as f:
        f.write("\n".join(header) + "\n".join(parts) + "\n" + "\n".join(footer))
    print(f"wrote {path}: {len(cases)} linkage cases, {len(silhouettes)} silhouette cases; "
          f"this SciPy's own maxclust differs from the fixed search in {maxclust_differences} cuts")


if __name__ == "__main__":
    main()
