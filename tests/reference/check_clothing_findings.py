#!/usr/bin/python3
"""The paper's findings, checked on the default clothing model through the CLI:
- category clustering (B) puts Sandal, Sneaker and Ankle boot in one subtree of
  the dendrogram that holds no other class, and likewise the upper-body garments
  T-shirt/top, Pullover, Coat and Shirt (Dress may join them: it is a garment too);
- the domination test: removing the top-n neurons of a category's group costs that
  category more accuracy than the other categories lose on average, and more than
  removing n random neurons costs it, for the largest n.

Usage: check_clothing_findings.py NEURONLENS_CLI MODEL_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

FOOTWEAR = {"Sandal", "Sneaker", "Ankle boot"}
UPPER_BODY = {"T-shirt/top", "Pullover", "Coat", "Shirt"}


def run(cli, *args):
    result = subprocess.run([cli, *args, "--quiet"], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"neuronlens {args[0]} failed: {result.stderr.strip()}")


def subtrees(labels, merges):
    """The leaf sets of every merge of a SciPy-style linkage."""
    members = [{name} for name in labels]
    for a, b, _, _ in merges:
        members.append(members[int(a)] | members[int(b)])
    return members[len(labels):]


def smallest_subtree_holding(group, trees):
    return min((t for t in trees if group <= t), key=len)


def main():
    cli, model, work = sys.argv[1:4]
    failures = []

    run(cli, "cluster-categories", "--model", model, "--data", "fashion-test", "--out", os.path.join(work, "categories"))
    with open(os.path.join(work, "categories", "categories.json")) as f:
        categories = json.load(f)
    trees = subtrees(categories["labels"], categories["merges"])
    footwear = smallest_subtree_holding(FOOTWEAR, trees)
    upper = smallest_subtree_holding(UPPER_BODY, trees)
    print("dendrogram order:", " | ".join(categories["order"]))
    print("smallest subtree with the footwear:", sorted(footwear))
    print("smallest subtree with the upper-body garments:", sorted(upper))
    if footwear != FOOTWEAR:
        failures.append("footwear does not form its own subtree")
    if not UPPER_BODY <= upper <= UPPER_BODY | {"Dress"}:
        failures.append("upper-body garments do not form their own subtree")

    run(cli, "ablate", "--model", model, "--data", "fashion-test", "--out", os.path.join(work, "ablation"))
    with open(os.path.join(work, "ablation", "ablation.json")) as f:
        ablation = json.load(f)
    for row in ablation["domination_test"]["summary"]:
        print("domination n={n}: target drop {target_drop:.4f}, others {others_mean_drop:.4f}, "
              "random target {random_target_drop:.4f}".format(**row))
    largest = max(ablation["domination_test"]["summary"], key=lambda row: row["n"])
    if not largest["target_drop"] > largest["others_mean_drop"]:
        failures.append(f"n={largest['n']}: the targeted class does not lose more than the others")
    if not largest["target_drop"] > largest["random_target_drop"]:
        failures.append(f"n={largest['n']}: the group's neurons matter no more than random ones")

    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
