#!/usr/bin/env python3
"""Fixtures and reference values for fairness across groups (the `groups:` param of the
`predictions` kind; src/metrics/fairness.ts).

Each case is written as exact counts per group (rows, true positives, false positives, ...),
so its rates can be checked by hand; the rows are then shuffled with a fixed seed and written
to the fixture's predictions file. The reference values are computed again from the file's
rows, with numpy only, following Fairlearn's definitions (fairlearn.metrics, method
"between_groups", agg "worst_case", no sample weights):

  selection rate  = mean(y_pred == pos)                       per group
  TPR             = #(y_pred == pos & y == pos) / #(y == pos) per group
  FPR             = #(y_pred == pos & y != pos) / #(y != pos) per group
  demographic_parity_difference = max SR - min SR;  _ratio = min SR / max SR
  equal_opportunity_difference  = max TPR - min TPR; _ratio = min TPR / max TPR
  equalized_odds_difference     = max(TPR difference, FPR difference)
  equalized_odds_ratio          = min(TPR ratio, FPR ratio)

over the groups with at least min_group_size rows. Where a rate's denominator is 0 the value is
null here (Fairlearn, through scikit-learn's normalised confusion matrix, would say 0); mlgate
refuses to judge a metric made of it.

Run from the repository root: python3 scripts/reference/fairness.py
It rewrites src/checks/predictions/fixtures/fairness/<case>/{predictions.*,reference.json};
the check.yaml and expect.yaml beside them are written by hand.
"""

import csv
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2] / "src/checks/predictions/fixtures/fairness"
FAIRNESS_METRICS = [
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
]


def binary_rows(group, n, positives, tp, fp, pos="1", neg="0"):
    """Rows of one group: `positives` labelled pos, tp of them predicted pos; fp negatives predicted pos."""
    negatives = n - positives
    assert 0 <= tp <= positives and 0 <= fp <= negatives
    rows = []
    rows += [(pos, pos)] * tp
    rows += [(pos, neg)] * (positives - tp)
    rows += [(neg, pos)] * fp
    rows += [(neg, neg)] * (negatives - fp)
    return [dict(label=label, pred=pred, **group) for label, pred in rows]


def shuffled(rows, seed):
    if seed is None:
        return rows
    order = np.random.default_rng(seed).permutation(len(rows))
    return [rows[i] for i in order]


def write_csv(path, rows, columns):
    lines = [",".join(columns)]
    for row in rows:
        lines.append(",".join(str(row[c]) for c in columns))
    path.write_text("\n".join(lines) + "\n")


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def reference(rows, group_columns, positive, min_group_size):
    """Fairlearn's group rates and between-groups metrics, from the rows as written."""
    y = np.array([str(r["label"]) for r in rows])
    y_pred = np.array([str(r["pred"]) for r in rows])

    def value(r, c):
        v = r.get(c)
        return "(missing)" if v is None or str(v).strip() == "" else str(v).strip()

    keys = np.array([" / ".join(value(r, c) for c in group_columns) for r in rows])

    def rate(numerator, denominator):
        return None if denominator == 0 else numerator / denominator

    groups = {}
    for key in sorted(set(keys)):
        m = keys == key
        yt, yp = y[m], y_pred[m]
        pos_true, pos_pred = yt == positive, yp == positive
        groups[key] = {
            "n": int(m.sum()),
            "positives": int(pos_true.sum()),
            "selected": int(pos_pred.sum()),
            "selection_rate": float(pos_pred.mean()),
            "tpr": rate(int((pos_pred & pos_true).sum()), int(pos_true.sum())),
            "fpr": rate(int((pos_pred & ~pos_true).sum()), int((~pos_true).sum())),
            "precision": rate(int((pos_pred & pos_true).sum()), int(pos_pred.sum())),
            "accuracy": float((yt == yp).mean()),
            "judged": bool(m.sum() >= min_group_size),
        }
    judged = [g for g in groups.values() if g["judged"]]

    def spread(name):
        values = [g[name] for g in judged]
        if len(values) < 2 or any(v is None for v in values):
            return None, None
        low, high = min(values), max(values)
        return high - low, (None if high == 0 else low / high)

    sr, tpr, fpr = spread("selection_rate"), spread("tpr"), spread("fpr")

    def worst(f, a, b):
        return None if a is None or b is None else f(a, b)

    metrics = {
        "demographic_parity_difference": sr[0],
        "demographic_parity_ratio": sr[1],
        "equalized_odds_difference": worst(max, tpr[0], fpr[0]),
        "equalized_odds_ratio": worst(min, tpr[1], fpr[1]),
        "equal_opportunity_difference": tpr[0],
        "equal_opportunity_ratio": tpr[1],
    }
    if len(judged) < 2:
        metrics = {name: None for name in FAIRNESS_METRICS}
    return {
        "positive": positive,
        "group_columns": group_columns,
        "min_group_size": min_group_size,
        "groups": groups,
        "metrics": metrics,
    }


def case(
    name, rows, group_columns, positive, min_group_size=30, fmt="csv", columns=None, seed=0, keep_rows=False
):
    folder = ROOT / name
    folder.mkdir(parents=True, exist_ok=True)
    rows = shuffled(rows, seed)
    if fmt == "csv":
        write_csv(folder / "predictions.csv", rows, columns or ["label", "pred", *group_columns])
    else:
        write_jsonl(folder / "predictions.jsonl", rows)
    ref = reference(rows, group_columns, positive, min_group_size)
    (folder / "reference.json").write_text(json.dumps(ref, indent=2, sort_keys=True) + "\n")
    return rows if keep_rows else ref


def main():
    F, M = {"sex": "F"}, {"sex": "M"}

    # Selection rates 0.45 and 0.475: ratio 0.947, the four-fifths rule holds.
    case(
        "ok.four-fifths-met",
        binary_rows(F, 100, 40, 30, 15) + binary_rows(M, 120, 50, 40, 17),
        ["sex"],
        "1",
        seed=1,
    )
    # F selected at 0.25, M at 0.475: ratio 0.526 < 0.8.
    case(
        "ng.four-fifths-violated",
        binary_rows(F, 100, 40, 20, 5) + binary_rows(M, 120, 50, 40, 17),
        ["sex"],
        "1",
        seed=2,
    )
    # Equal selection rates (0.5) and TPR (0.8), FPR 0.2 against 0.371: only equalized odds
    # sees it. No pred column: the prediction is the more probable class (prob_1 0.8 or 0.2).
    rows = binary_rows(F, 100, 50, 40, 10) + binary_rows(M, 100, 30, 24, 26)
    for row in rows:
        row["prob_1"] = 0.8 if row["pred"] == "1" else 0.2
    case(
        "ng.equalized-odds-fpr-gap",
        rows,
        ["sex"],
        "1",
        columns=["label", "prob_1", "sex"],
        seed=3,
    )
    # Intersections of sex and age band; text labels, positive: approved. M / old has 12 rows,
    # none approved: below min_group_size 30 it is shown, not judged; with 10 it is judged.
    young, old = "young", "old"
    rows = (
        binary_rows({"sex": "F", "age_band": young}, 60, 30, 24, 6, "approved", "denied")
        + binary_rows({"sex": "F", "age_band": old}, 50, 20, 15, 7, "approved", "denied")
        + binary_rows({"sex": "M", "age_band": young}, 70, 35, 28, 8, "approved", "denied")
        + binary_rows({"sex": "M", "age_band": old}, 12, 6, 0, 0, "approved", "denied")
    )
    case("ok.intersection-small-group-unjudged", rows, ["sex", "age_band"], "approved", seed=4)
    case(
        "ng.intersection-small-group-judged",
        rows,
        ["sex", "age_band"],
        "approved",
        min_group_size=10,
        seed=4,
    )
    # Rows whose sex is null or "" form the group (missing): selected at 0.15, it fails the
    # four-fifths rule. Blanking the column does not hide a group.
    rows = (
        binary_rows(F, 80, 40, 32, 8)
        + binary_rows(M, 80, 40, 30, 10)
        + binary_rows({"sex": None}, 30, 15, 3, 1)
        + binary_rows({"sex": ""}, 10, 5, 1, 1)
    )
    for row in rows:
        row["label"], row["pred"] = int(row["label"]), int(row["pred"])
    case("ng.missing-values-own-group", rows, ["sex"], "1", fmt="jsonl", seed=5)
    # Only F has 30 rows: nothing to compare.
    case(
        "err.one-group-large-enough",
        binary_rows(F, 100, 40, 30, 15) + binary_rows(M, 10, 5, 1, 1),
        ["sex"],
        "1",
        seed=6,
    )
    # M has no row labelled 1: its TPR is undefined (Fairlearn: 0).
    case(
        "err.group-without-positives",
        binary_rows(F, 100, 40, 30, 15) + binary_rows(M, 50, 0, 0, 5),
        ["sex"],
        "1",
        seed=7,
    )
    # Three classes: one against the rest. Per group 30 rows of each class; class 2 is
    # predicted right 24 (A) and 22 (B) times, and 6 (A) and 8 (B) rows of classes 0 and 1
    # are predicted 2.
    rows = []
    for group, tp2, fp_from0, fp_from1 in [({"region": "A"}, 24, 3, 3), ({"region": "B"}, 22, 4, 4)]:
        rows += [dict(label="2", pred="2", **group)] * tp2
        rows += [dict(label="2", pred="0", **group)] * (30 - tp2)
        rows += [dict(label="0", pred="2", **group)] * fp_from0
        rows += [dict(label="0", pred="0", **group)] * (30 - fp_from0)
        rows += [dict(label="1", pred="2", **group)] * fp_from1
        rows += [dict(label="1", pred="1", **group)] * (30 - fp_from1)
    case("ok.multiclass-one-vs-rest", rows, ["region"], "2", seed=8)
    case("err.multiclass-without-outcome", rows, ["region"], "2", seed=8)
    # Groups beside slices and compare: the other prediction set has no group column, and
    # needs none (groups are judged on the main file only).
    folder = ROOT / "ok.beside-slices-and-compare"
    rows = case(
        "ok.beside-slices-and-compare",
        binary_rows(F, 100, 40, 30, 15) + binary_rows(M, 120, 50, 40, 17),
        ["sex"],
        "1",
        seed=9,
        keep_rows=True,
    )
    write_csv(folder / "predictions_val.csv", rows, ["label", "pred"])
    # The same rows without the column the spec names.
    (ROOT / "err.missing-group-column").mkdir(exist_ok=True)
    (ROOT / "err.missing-group-column/predictions.csv").write_text(
        (ROOT / "ok.four-fifths-met/predictions.csv").read_text()
    )
    # The bundled example's test predictions with a group column made from the images (stroke
    # weight; scripts/reference/fairness_digits_groups.py), ten classes: digit 8 against the rest.
    example = ROOT.parents[4] / "examples/digits-classifier/data/predictions_test_groups.csv"
    with open(example, newline="") as handle:
        rows = list(csv.DictReader(handle))
    case("ok.digits-stroke-weight", rows, ["stroke"], "8", seed=None)
    # A group column with an id per row: more than 1000 groups is an error, not 1001 groups.
    rows = [dict(label=str(i % 2), pred=str((i // 2) % 2), user_id=f"u{i:05d}") for i in range(1001)]
    folder = ROOT / "err.id-column-as-group"
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "predictions.csv", rows, ["label", "pred", "user_id"])


if __name__ == "__main__":
    main()
