"""Named instance sets for ``relayroute bench`` and how their results are summed up."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from relayroute.errors import InputError

RELAY_SCENARIOS = [
    "yiwu-day",
    "yiwu-day-scarce",
    "yiwu-day-station-closed",
    "liling-day",
    "fuquan-kaili",
    "yiwu-day-transload",
    "yiwu-day-port",
]
SUITES = ["solomon", "homberger-200", "lilim-100", "lilim-200", "relay", "sample"]


def data_root(given: str | None = None) -> Path:
    """Where the literature benchmarks are: ``given``, ``$RELAYROUTE_BENCHMARKS``, or
    ``../shared/benchmarks`` from the working directory."""
    return Path(given or os.environ.get("RELAYROUTE_BENCHMARKS") or "../shared/benchmarks")


def _class_of(name: str) -> str:
    """c1, c2, r1, r2, rc1, rc2 from C101, lrc208, rc1_2_1 …"""
    m = re.match(r"^l?(rc|r|c)(\d)", name.lower())
    return f"{m.group(1)}{m.group(2)}" if m else name


def _key(name: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", name))


def first_and_last(files: list[Path]) -> list[Path]:
    """The first and the last file (in numeric order) of each class."""
    by_class: dict[str, list[Path]] = {}
    for f in files:
        by_class.setdefault(_class_of(f.stem), []).append(f)
    out = []
    for cls in sorted(by_class):
        group = sorted(by_class[cls], key=lambda f: _key(f.stem))
        out += [group[0], group[-1]] if len(group) > 1 else group
    return out


def first_of_each(files: list[Path]) -> list[Path]:
    by_class: dict[str, list[Path]] = {}
    for f in files:
        by_class.setdefault(_class_of(f.stem), []).append(f)
    return [sorted(g, key=lambda f: _key(f.stem))[0] for _, g in sorted(by_class.items())]


def suite_files(suite: str, data: str | None = None, instances: str = "instances") -> list[Path]:
    """The files of a named suite.

    ``sample`` is the fixed sample of issue 5: from Solomon and from Li & Lim 100 the first
    and the last instance of each of the six classes, and from Homberger 200 the first of
    each class (30 in all).

    Raises
    ------
    InputError
        Unknown suite, or its folder is missing.
    """
    root = data_root(data)

    def folder(*parts: str) -> list[Path]:
        d = root.joinpath(*parts)
        files = sorted(d.glob("*.txt"))
        if not files:
            raise InputError(
                str(d), "no benchmark files here (give --data or set RELAYROUTE_BENCHMARKS)"
            )
        return files

    if suite == "solomon":
        return folder("solomon")
    if suite == "homberger-200":
        return folder("homberger", "200")
    if suite == "lilim-100":
        return folder("lilim", "pdp_100")
    if suite == "lilim-200":
        return folder("lilim", "pdp_200")
    if suite == "relay":
        files = [Path(instances) / f"{name}.json" for name in RELAY_SCENARIOS]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise InputError(missing[0], "relay scenario not found (run from the project root)")
        return files
    if suite == "sample":
        return (
            first_and_last(folder("solomon"))
            + first_and_last(folder("lilim", "pdp_100"))
            + first_of_each(folder("homberger", "200"))
        )
    raise InputError("SUITE", f"unknown suite {suite!r}; one of {', '.join(SUITES)}")


def summarise(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Per family and solver: instances, share feasible, mean vehicles, mean gap to the BKS
    (or, for relay instances, mean weighted delay above the lower bound), mean distance
    above the best any solver found in the same run, and how many instances reach the
    BKS vehicle count.

    Mean gaps are over the instances the solver solved feasibly (``n_feasible``). Only
    whole runs count (``status`` ``done``, or no status); ``incomplete`` is the number of
    runs a stop cut short or skipped. Where the rows say what ran (``config_hash``,
    ``seed``, ``relayroute_version``, ``machine``, ``date``), each summary row lists their
    distinct values (``date``: the last run's end).
    """
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    status = df["status"] if "status" in df else pd.Series("done", index=df.index)
    keys = ["family", "solver"]
    incomplete = df[status != "done"].groupby(keys).size().rename("incomplete")
    origin = _provenance(df[status != "skipped"], keys)
    df = df[status == "done"].copy()
    out = _summary(df) if not df.empty else pd.DataFrame(columns=keys)
    out = out.merge(incomplete.reset_index(), on=keys, how="outer")
    if origin is not None:
        out = out.merge(origin, on=keys, how="left")
    for c in ("instances", "n_feasible", "bks_vehicles_met", "incomplete"):
        if c not in out:
            out[c] = 0
        out[c] = out[c].fillna(0).astype(int)
    return out.sort_values(keys, ignore_index=True)


PROVENANCE = ["config_hash", "seed", "relayroute_version", "machine"]


def _provenance(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame | None:
    """Per group: the distinct configuration hashes, seeds, versions and machines of its
    runs (space-separated, sorted) and the end of its last run; None without them."""
    cols = [c for c in PROVENANCE if c in df]
    if not cols or df.empty:
        return None

    def text(v: Any) -> str:
        # pandas holds whole seeds beside missing ones as floats: 0.0 is seed 0
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)

    def distinct(values: pd.Series) -> str:
        return " ".join(sorted({text(v) for v in values if pd.notna(v) and str(v) != ""}))

    g = df.groupby(keys)
    out = pd.DataFrame({c: g[c].agg(distinct) for c in cols})
    if "date" in df:
        out["date"] = g["date"].agg(lambda s: max((str(v) for v in s if pd.notna(v)), default=""))
    return out.reset_index()


def _summary(df: pd.DataFrame) -> pd.DataFrame:
    """:func:`summarise` of whole runs."""
    df["feasible"] = df["feasible"].astype(bool)
    for c in ("distance", "vehicles", "bks_vehicles", "gap_pct", "weighted_delay", "lower_bound"):
        df[c] = pd.to_numeric(df.get(c), errors="coerce")
    ok = df[df["feasible"] & df["distance"].notna()]
    best = ok.groupby("instance")["distance"].min()
    df["vs_best_pct"] = [
        100 * (d - best[i]) / best[i] if f and pd.notna(d) and i in best.index else None
        for i, d, f in zip(df["instance"], df["distance"], df["feasible"], strict=True)
    ]
    df["above_lb"] = df["weighted_delay"] - df["lower_bound"]
    df["bks_vehicles_met"] = df["feasible"] & (df["vehicles"] <= df["bks_vehicles"])
    feas = df[df["feasible"]]
    g = df.groupby(["family", "solver"])
    out = pd.DataFrame(
        {
            "instances": g.size(),
            "feasible_share": g["feasible"].mean(),
            "n_feasible": feas.groupby(["family", "solver"]).size(),
            "vehicles": feas.groupby(["family", "solver"])["vehicles"].mean(),
            "gap_bks_pct": feas.groupby(["family", "solver"])["gap_pct"].mean(),
            "vs_best_pct": feas.groupby(["family", "solver"])["vs_best_pct"].mean(),
            "bks_vehicles_met": g["bks_vehicles_met"].sum(),
            "delay_above_lb": feas.groupby(["family", "solver"])["above_lb"].mean(),
        }
    ).reset_index()
    out["n_feasible"] = out["n_feasible"].fillna(0).astype(int)
    return out
