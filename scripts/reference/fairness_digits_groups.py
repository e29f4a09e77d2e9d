#!/usr/bin/env python3
"""A synthetic group column for the bundled example's fairness item.

The digits have no people behind them, so the group is a property of the image itself:
stroke weight. A digit is "heavy" when more than 19 of its 64 pixels are darker than half
the scale (value > 8 of 16), "light" otherwise — 19 is the median count over the test set,
ties going to "light" (144 heavy, 216 light rows). The same rule applied to any test set
gives the same groups; nothing here looks at the labels or the predictions.

Writes EXAMPLE/data/predictions_test_groups.csv (EXAMPLE: the first argument, default
examples/digits-classifier; the blocked variant has its own predictions): the label and pred
columns of predictions_test.csv (row for row, the order of X_test.npy) and the column
`stroke`. Run from the repository root:
python3 scripts/reference/fairness_digits_groups.py [examples/digits-classifier-blocked]
"""

import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / (sys.argv[1] if len(sys.argv) > 1 else "examples/digits-classifier") / "data"
INK_LEVEL = 8  # of 16: darker than half the scale
HEAVY_ABOVE = 19  # pixels; the median over X_test.npy


def main():
    pixels = np.load(DATA / "X_test.npy")
    labels = np.load(DATA / "y_test.npy")
    with open(DATA / "predictions_test.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(pixels) and all(int(r["label"]) == int(y) for r, y in zip(rows, labels)), (
        "predictions_test.csv is not in the order of X_test.npy"
    )
    ink = (pixels > INK_LEVEL).sum(axis=1)
    stroke = np.where(ink > HEAVY_ABOVE, "heavy", "light")
    lines = ["label,pred,stroke"] + [f"{r['label']},{r['pred']},{s}" for r, s in zip(rows, stroke)]
    (DATA / "predictions_test_groups.csv").write_text("\n".join(lines) + "\n")
    print({group: int((stroke == group).sum()) for group in ("heavy", "light")})


if __name__ == "__main__":
    main()
