#!/usr/bin/env python3
"""Reference values for mlgate's `drift` check, computed once with SciPy and committed.

    python3 scripts/reference/drift.py          # from the repository root

Writes, under src/checks/drift/fixtures/:
  _data/samples/*.npy   seeded samples (float32) the statistics tests read
  _data/*.csv           the tables the check's fixture cases read
  reference.json        what SciPy/NumPy say about them

The tests never run Python: they read these files. Made with SciPy 1.17.1, NumPy 2.4.
Formula choices (they are mlgate's, stated in the check's docs):
  KS        scipy.stats.ks_2samp(a, b) — two-sided, method='auto'
  PSI       bins: numpy.quantile(reference, i/B), i = 1..B-1 (method 'linear'), duplicates
            dropped, bins closed on the right; shares of 0 become eps = 1e-4 (no renormalising);
            PSI = sum((r - c) * ln(r / c))
  Wasserstein  scipy.stats.wasserstein_distance(reference, current)
  chi-square   scipy.stats.chisquare(current_counts, reference_counts * n_cur / n_ref)
  JS           scipy.spatial.distance.jensenshannon(p_ref, p_cur, base=2)
"""
import json
import os
import warnings

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "src", "checks", "drift", "fixtures")
DATA = os.path.join(ROOT, "_data")
SAMPLES = os.path.join(DATA, "samples")
EPS = 1e-4
BINS = 10


def psi_numeric(ref, cur, bins=BINS, eps=EPS):
    ref = np.sort(np.asarray(ref, dtype=np.float64))
    cur = np.sort(np.asarray(cur, dtype=np.float64))
    edges = []
    for i in range(1, bins):
        e = float(np.quantile(ref, i / bins))
        if not edges or e > edges[-1]:
            edges.append(e)
    edges = np.array(edges)
    # bin index = number of edges strictly below x: (e_{i-1}, e_i]
    r = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=len(edges) + 1)
    c = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=len(edges) + 1)
    return psi_counts(r, c, eps), edges.tolist(), r.tolist(), c.tolist()


def psi_counts(r, c, eps=EPS):
    r = np.asarray(r, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    rs = r / r.sum()
    cs = c / c.sum()
    rs[rs == 0] = eps
    cs[cs == 0] = eps
    return float(np.sum((rs - cs) * np.log(rs / cs)))


def save(name, values):
    os.makedirs(SAMPLES, exist_ok=True)
    array = np.asarray(values, dtype="<f4")
    np.save(os.path.join(SAMPLES, name + ".npy"), array)
    return array.astype(np.float64)


def numeric_case(name, a, b):
    a = save(name + "_ref", a)
    b = save(name + "_cur", b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an exact->asymp fallback would warn: not expected here
        ks = stats.ks_2samp(a, b)
    n = max(len(a), len(b))
    psi, edges, rc, cc = psi_numeric(a, b)
    return {
        "name": name,
        "ref": f"samples/{name}_ref.npy",
        "cur": f"samples/{name}_cur.npy",
        "ks_statistic": float(ks.statistic),
        "ks_pvalue": float(ks.pvalue),
        "ks_method": "exact" if n <= 10000 else "asymptotic",
        "wasserstein": float(stats.wasserstein_distance(a, b)),
        "std_ref": float(np.std(a)),
        "psi": psi,
        "psi_edges": edges,
        "psi_ref_counts": rc,
        "psi_cur_counts": cc,
    }


def categorical_case(name, ref_counts, cur_counts):
    ref_counts = np.asarray(ref_counts, dtype=np.float64)
    cur_counts = np.asarray(cur_counts, dtype=np.float64)
    expected = ref_counts * (cur_counts.sum() / ref_counts.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        chi = stats.chisquare(cur_counts, expected)
    return {
        "name": name,
        "ref_counts": ref_counts.astype(int).tolist(),
        "cur_counts": cur_counts.astype(int).tolist(),
        "chi2_statistic": float(chi.statistic),
        "chi2_pvalue": float(chi.pvalue),
        "js_distance": float(distance.jensenshannon(ref_counts, cur_counts, base=2)),
        "psi": psi_counts(ref_counts, cur_counts),
    }


def main():
    rng = np.random.default_rng(20261130)
    numeric = [
        # equal sizes: exact, Hodges' square formula
        numeric_case("equal50", rng.normal(0, 1, 50), rng.normal(0.4, 1, 50)),
        # unequal sizes: exact, the inside recursion
        numeric_case("unequal80x120", rng.normal(0, 1, 80), rng.normal(0.2, 1.3, 120)),
        # ties (small integers), exact
        numeric_case("ties300x350", rng.integers(0, 6, 300), rng.integers(0, 7, 350)),
        # larger exact, unequal
        numeric_case("exact3000x2000", rng.normal(0, 1, 3000), rng.normal(0.05, 1, 2000)),
        # asymptotic: en = 387 (n > 140), a clear shift -> 2*smirnov
        numeric_case("asymp12000x400", rng.normal(0, 1, 12000), rng.normal(0.3, 1, 400)),
        # asymptotic: en = 5000.5 -> round half to even = 5000
        numeric_case("asymp10001x10001", rng.normal(0, 1, 10001), rng.normal(0.03, 1, 10001)),
        # asymptotic, same distribution: small D -> Pelz-Good or Durbin
        numeric_case("asymp20000x15000", rng.normal(0, 1, 20000), rng.normal(0, 1, 15000)),
        # asymptotic with a small current sample: en rounds to 30 (n <= 140 branches)
        numeric_case("asymp10050x30", rng.normal(0, 1, 10050), rng.normal(0.5, 1, 30)),
        # identical samples
        numeric_case("identical", np.arange(40) % 7, np.arange(40) % 7),
    ]
    categorical = [
        categorical_case("stable", [500, 300, 200], [260, 140, 100]),
        categorical_case("shifted", [500, 300, 200, 0], [100, 150, 200, 50]),
        categorical_case("missing-category", [400, 300, 200, 100], [300, 300, 400, 0]),
        categorical_case("many", list(range(1, 41)), list(range(40, 0, -1))),
    ]
    # The distribution functions on their own, across every branch SciPy chooses.
    kstwo = []
    for n in [1, 2, 3, 5, 10, 30, 100, 140, 141, 387, 1000, 5000, 8571, 100000, 100001, 500000]:
        for x in [1e-3, 0.004, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.45, 0.5, 0.6, 0.9, 0.99]:
            kstwo.append([n, x, float(stats.kstwo.sf(x, n))])
        for t in [0.6, 0.9, 1.0]:  # Ruben-Gambino: n*x <= 1
            x = t / n
            kstwo.append([n, x, float(stats.kstwo.sf(x, n))])
    smirnov = []
    for n in [2, 5, 10, 50, 141, 1000, 5000, 100000, 1000000, 2000000]:
        for x in [1e-4, 0.001, 0.01, 0.03, 0.1, 0.3, 0.5, 0.7, 0.95]:
            smirnov.append([n, x, float(special.smirnov(n, x))])
    chi2 = []
    for k in [1, 2, 3, 9, 39, 200, 999]:
        for x in [0.01, 0.5, 1, 3, 10, 40, 100, 250, 1000, 1200]:
            chi2.append([x, k, float(stats.chi2.sf(x, k))])
    out = {
        "generated_by": "scripts/reference/drift.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "psi": {"bins": BINS, "epsilon": EPS},
        "numeric": numeric,
        "categorical": categorical,
        "kstwo_sf": kstwo,
        "smirnov_sf": smirnov,
        "chi2_sf": chi2,
    }
    write_tables(rng)
    out["tables"] = {
        name: table_reference("reference.csv", name)
        for name in ["current-stable.csv", "current-income-shifted.csv", "current-age-nulls.csv", "current-new-color.csv"]
    }
    with open(os.path.join(ROOT, "reference.json"), "w") as f:
        json.dump(finite(out), f, indent=1, allow_nan=False)
        f.write("\n")


NULLS = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
         "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}


def read_columns(path):
    import csv
    with open(os.path.join(DATA, path), newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    return {name: [row[i] for row in body] for i, name in enumerate(header)}, len(body)


def table_reference(reference, current):
    """What each feature of a fixture table pair should measure (read here with csv + float)."""
    ref, n_ref = read_columns(reference)
    cur, n_cur = read_columns(current)
    out = {}
    for name in ref:
        r = [v.strip() for v in ref[name] if v.strip() not in NULLS]
        c = [v.strip() for v in cur[name] if v.strip() not in NULLS]
        entry = {
            "null_rate_delta": abs((n_cur - len(c)) / n_cur - (n_ref - len(r)) / n_ref),
        }
        try:
            a = np.array([float(v) for v in r])
            b = np.array([float(v) for v in c])
            ks = stats.ks_2samp(a, b)
            entry.update(
                type="numeric",
                ks_statistic=float(ks.statistic),
                ks_pvalue=float(ks.pvalue),
                wasserstein=float(stats.wasserstein_distance(a, b)),
                wasserstein_norm=float(stats.wasserstein_distance(a, b) / max(np.std(a), 0.001)),
                psi=psi_numeric(a, b)[0],
            )
        except ValueError:
            keys = sorted(set(r) | set(c))
            rc = [r.count(k) for k in keys]
            cc = [c.count(k) for k in keys]
            case = categorical_case(name, rc, cc)
            entry.update(
                type="categorical",
                chi2_pvalue=case["chi2_pvalue"],
                js_distance=case["js_distance"],
                psi=case["psi"],
                new_category_share=sum(cc[i] for i, k in enumerate(keys) if rc[i] == 0) / len(c),
            )
        out[name] = entry
    return out


def finite(value):
    """JSON has no Infinity: written as the string "Infinity" (the tests read it back)."""
    if isinstance(value, float) and not np.isfinite(value):
        return "Infinity" if value > 0 else "-Infinity" if value < 0 else "NaN"
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def write_csv(path, header, columns):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for row in zip(*columns):
            f.write(",".join(v if isinstance(v, str) else repr(float(v)) for v in row) + "\n")


def write_tables(rng):
    """Tables for the check's fixture cases (ok./ng./err.)."""
    os.makedirs(DATA, exist_ok=True)
    n_ref, n_cur = 2000, 800
    colors = np.array(["red", "green", "blue"])

    def table(n, shift_income=0.0, color_p=(0.5, 0.3, 0.2), age_null=0.0, extra_color=None):
        age = rng.normal(40, 10, n).round(1)
        income = rng.lognormal(10 + shift_income, 0.5, n).round(2)
        score = rng.uniform(0, 1, n)
        color = colors[rng.choice(3, n, p=color_p)].astype(object)
        if extra_color:
            color[: int(n * 0.1)] = extra_color
        age_text = [("" if rng.uniform() < age_null else repr(float(a))) for a in age]
        return ["age", "income", "score", "color"], [age_text, income, score, list(color)]

    header, cols = table(n_ref)
    write_csv(os.path.join(DATA, "reference.csv"), header, cols)
    header, cols = table(n_cur)
    write_csv(os.path.join(DATA, "current-stable.csv"), header, cols)
    header, cols = table(n_cur, shift_income=0.5)
    write_csv(os.path.join(DATA, "current-income-shifted.csv"), header, cols)
    header, cols = table(n_cur, extra_color="purple")
    write_csv(os.path.join(DATA, "current-new-color.csv"), header, cols)
    header, cols = table(n_cur, age_null=0.3)
    write_csv(os.path.join(DATA, "current-age-nulls.csv"), header, cols)
    # the stable current table again as JSON Lines (numbers as JSON numbers, empty age as null)
    columns, _ = read_columns("current-stable.csv")
    with open(os.path.join(DATA, "current-stable.jsonl"), "w") as f:
        for i in range(len(columns["age"])):
            record = {k: (v[i] if k == "color" else (float(v[i]) if v[i] != "" else None)) for k, v in columns.items()}
            f.write(json.dumps(record) + "\n")
    header, cols = table(n_cur)
    write_csv(os.path.join(DATA, "current-without-score.csv"), header[:2] + header[3:], cols[:2] + cols[3:])
    # NumPy N x 3 feature matrices: the third column shifts in the "drifted" one.
    ref = rng.normal(0, 1, (600, 3))
    np.save(os.path.join(DATA, "features-ref.npy"), ref.astype("<f4"))
    cur = rng.normal(0, 1, (400, 3))
    np.save(os.path.join(DATA, "features-cur.npy"), cur.astype("<f4"))
    cur[:, 2] += 0.8
    np.save(os.path.join(DATA, "features-cur-drifted.npy"), cur.astype("<f4"))


if __name__ == "__main__":
    main()
