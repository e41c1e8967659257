"""Markdown tables from a ``relayroute bench`` results CSV (for BENCHMARKS.md).

Run from the project root::

    .venv/bin/python benchmarks/literature_table.py benchmarks/results/bench-sample-2026-11-30.csv

Per mode and family, per solver: instances solved feasibly (by the one independent checker),
mean vehicles, mean distance above the best any solver found on the same instance in the
run ("vs best"), mean gap to the BKS, and instances at or below the BKS vehicle count. Then
relayroute's configuration against each peer on the instances both solved (paired).
"""

from __future__ import annotations

import sys

import pandas as pd


def _pct(v: float) -> str:
    return "–" if pd.isna(v) else f"{v:+.2f} %"


def _num(v: float) -> str:
    return "–" if pd.isna(v) else f"{v:.1f}"


def main(path: str) -> int:
    df = pd.read_csv(path)
    df["feasible"] = df["feasible"].astype(bool)
    for mode, m in df.groupby("mode", sort=False):
        m = m.copy()
        ok = m[m["feasible"]]
        best = ok.groupby("instance")["distance"].min()
        m["vs_best"] = 100 * (m["distance"] / m["instance"].map(best) - 1)
        m.loc[~m["feasible"], "vs_best"] = float("nan")
        m["at_bks_vehicles"] = m["feasible"] & (m["vehicles"] <= m["bks_vehicles"])
        print(f"\n### {mode} mode\n")
        print("| family | solver | feasible | vehicles | vs best | gap to BKS | ≤ BKS vehicles |")
        print("|---|---|---|---|---|---|---|")
        for (fam, solver), g in m.groupby(["family", "solver"]):
            f = g[g["feasible"]]
            print(
                f"| {fam} | {solver} | {len(f)}/{len(g)} | {_num(f['vehicles'].mean())} | "
                f"{_pct(f['vs_best'].mean())} | {_pct(f['gap_pct'].mean())} | "
                f"{int(g['at_bks_vehicles'].sum())}/{len(g)} |"
            )
        ours = [s for s in m["solver"].unique() if not str(s).startswith("peer:")]
        peers = [s for s in m["solver"].unique() if str(s).startswith("peer:")]
        print("\nPaired, on the instances both solved (relayroute minus peer, % of distance):\n")
        print(
            "| family | relayroute | peer | both solved | mean difference | relayroute shorter on |"
        )
        print("|---|---|---|---|---|---|")
        for fam, g in m.groupby("family"):
            wide = g.pivot_table(index="instance", columns="solver", values="vs_best")
            dist = g.pivot_table(index="instance", columns="solver", values="distance")
            for a in ours:
                for b in peers:
                    if a not in dist or b not in dist:
                        continue
                    both = dist[[a, b]].dropna()
                    both = both[wide.loc[both.index, [a, b]].notna().all(axis=1)]
                    if both.empty:
                        print(f"| {fam} | {a} | {b} | 0 | – | – |")
                        continue
                    diff = 100 * (both[a] / both[b] - 1)
                    print(
                        f"| {fam} | {a} | {b} | {len(both)} | {diff.mean():+.2f} % | "
                        f"{int((diff < -1e-9).sum())} |"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
