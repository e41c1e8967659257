"""Benchmark: how long exporting a plan takes, on the largest scenario (issue 6: < 5 s).

Run from the project root (not a CI test)::

    .venv/bin/python benchmarks/export_speed.py [--instance instances/liling-day.json]
        [--plan plan.json] [--repeat 3] [-o results.csv]

Without ``--plan`` the instance is first solved with ``solvers/default.toml`` (30 s). Each
export is then timed ``--repeat`` times in this process (the median is reported), writing
into a temporary folder:

- ``read``: reading the instance and the plan JSON — the baseline every ratio is against;
- ``geojson``: the FeatureCollection plus one file per truck and loop driver (``--split``);
- ``csv``: stops.csv and shipments.csv;
- ``charts``: the three PNGs;
- ``map``: the self-contained HTML map with its report panel;
- ``all``: everything ``relayroute export --geojson --split --csv --charts`` and
  ``relayroute map`` write, one after the other.

Then the GeoJSON writers side by side (``--old-rev``, default the last commit with the
hand-assembled writer; ``--no-writers`` skips it), each making every file of
``export --geojson --split --split-types`` as text, ``--repeat`` times, alternating:

- ``dicts``: the writer of ``--old-rev`` (Feature dicts built one by one, one
  ``shapely.to_geojson`` per geometry), read from git;
- ``geopandas``: today's (one GeoDataFrame a layer, geometries made and rounded as arrays,
  ``to_geo_dict``);
- ``pyogrio``: GDAL's GeoJSON driver on ``plan_frame`` (RFC7946, COORDINATE_PRECISION=6,
  WRITE_BBOX, AUTODETECT_JSON_STRINGS=NO; through a temporary file and ``os.replace``),
  the whole file only.

It prints how many files ``geopandas`` gives byte for byte as ``dicts`` did, and what
differs in GDAL's file (features, properties, geometries, size).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyogrio

from relayroute.export.charts import write_charts
from relayroute.export.geojson import geojson_files, plan_frame, write_geojson
from relayroute.export.tables import write_tables
from relayroute.export.webmap import write_map
from relayroute.io.instance import read_instance
from relayroute.io.plan import read_plan, write_plan
from relayroute.solve import read_config, solve

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
# The last commit whose GeoJSON writer assembled Feature dicts by hand (issue 20, item 9).
OLD_REV = "9236d2a"


def _median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instance", default=str(ROOT / "instances" / "liling-day.json"))
    ap.add_argument("--plan", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("-o", "--output", default=None)
    ap.add_argument("--old-rev", default=OLD_REV, help="git revision of the old GeoJSON writer")
    ap.add_argument("--no-writers", action="store_true", help="skip the writers' comparison")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        plan_path = Path(args.plan) if args.plan else out / "plan.json"
        if not args.plan:
            loaded = read_instance(args.instance)
            plan = solve(loaded, read_config(ROOT / "solvers" / "default.toml"), time_limit=30)
            write_plan(plan, plan_path)
        loaded = read_instance(args.instance)
        plan = read_plan(plan_path)
        inst = loaded.instance

        def read() -> None:
            read_instance(args.instance)
            read_plan(plan_path)

        def geojson() -> None:
            write_geojson(inst, plan, out / "g" / "routes.geojson", split=True)

        def tables() -> None:
            write_tables(inst, plan, out / "csv")

        def charts() -> None:
            write_charts(inst, plan, out / "png")

        def webmap() -> None:
            write_map(inst, plan, out / "map.html")

        def everything() -> None:
            geojson()
            tables()
            charts()
            webmap()

        steps = {
            "read": read,
            "geojson": geojson,
            "csv": tables,
            "charts": charts,
            "map": webmap,
            "all": everything,
        }
        everything()  # warm-up: imports, font cache
        seconds = {name: _median_seconds(fn, args.repeat) for name, fn in steps.items()}
        files = sum(1 for _ in (out / "g").iterdir())
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and p != plan_path)
        writers = None if args.no_writers else _writers(inst, plan, out / "w", args)

    legs = sum(len(r.legs) for r in plan.routes)
    print(
        f"{inst.name}: {len(plan.routes)} routes, {legs} legs, {len(inst.shipments)} shipments; "
        f"{files} GeoJSON files; {size / 1e6:.1f} MB written per export"
    )
    base = seconds["read"]
    print(f"{'step':<9}{'seconds':>9}{'× read':>9}")
    for name, s in seconds.items():
        print(f"{name:<9}{s:>9.3f}{s / base:>9.1f}")
    if args.output:
        with open(args.output, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["date", "machine", "instance", "legs", "step", "seconds", "ratio_to_read"])
            machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores"
            for name, s in seconds.items():
                w.writerow(
                    [date.today(), machine, inst.name, legs, name, round(s, 4), round(s / base, 2)]
                )
    if writers is not None:
        _print_writers(writers)
    return 0 if seconds["all"] < 5.0 else 1


def _old_writer(rev: str) -> ModuleType | None:
    """The GeoJSON module as it was at ``rev`` (from git), or None if git cannot give it."""
    try:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:src/relayroute/export/geojson.py"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    name = "relayroute_geojson_old"
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(text, f"{rev}:geojson.py", "exec"), module.__dict__)
    return module


def _pyogrio_text(inst: Any, plan: Any, target: Path) -> str:
    """The whole plan through GDAL's GeoJSON driver, written atomically (a temporary
    file beside the target, then ``os.replace``)."""
    frame = plan_frame(inst, plan).infer_objects()  # GDAL types columns by their dtype
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".geojson", dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # GDAL's driver refuses to write over a file
    options = {
        "RFC7946": "YES",
        "COORDINATE_PRECISION": "6",
        "WRITE_BBOX": "YES",
        "AUTODETECT_JSON_STRINGS": "NO",
    }
    pyogrio.write_dataframe(frame, tmp, driver="GeoJSON", layer_options=options)
    os.replace(tmp, target)
    return target.read_text()


def _writers(inst: Any, plan: Any, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Time the three GeoJSON writers and compare what they write."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "routes.geojson"
    old = _old_writer(args.old_rev)
    makers: dict[str, Callable[[], dict[Path, str]]] = {
        "geopandas": lambda: geojson_files(inst, plan, target, split=True, split_types=True)
    }
    if old is not None:
        makers["dicts"] = lambda: old.geojson_files(inst, plan, target, True, True)
    makers["pyogrio"] = lambda: {target: _pyogrio_text(inst, plan, target)}
    texts = {name: make() for name, make in makers.items()}  # warm-up, and the outputs
    times: dict[str, list[float]] = {name: [] for name in makers}
    for _ in range(max(args.repeat, 3)):
        for name, make in makers.items():
            t0 = time.perf_counter()
            make()
            times[name].append(time.perf_counter() - t0)
    new = texts["geopandas"]
    result: dict[str, Any] = {
        "rev": args.old_rev if old is not None else None,
        "seconds": {name: statistics.median(ts) for name, ts in times.items()},
        "files": len(new),
        "bytes": len(new[target].encode()),
    }
    if old is not None:
        before = texts["dicts"]
        result["same_paths"] = set(before) == set(new)
        result["identical"] = sum(before.get(p) == t for p, t in new.items())
        result["json_equal"] = sum(
            p in before and json.loads(before[p]) == json.loads(t) for p, t in new.items()
        )
    ours = json.loads(new[target])["features"]
    gdal_text = texts["pyogrio"][target]
    gdal = json.loads(gdal_text)["features"]
    pairs = list(zip(ours, gdal, strict=True))
    result["gdal"] = {
        "bytes": len(gdal_text.encode()),
        "features": len(gdal),
        "geometry_equal": sum(a["geometry"] == b["geometry"] for a, b in pairs),
        "properties_equal": sum(a["properties"] == b["properties"] for a, b in pairs),
        "own_values_equal": sum(
            all(
                k in b["properties"] and b["properties"][k] == v for k, v in a["properties"].items()
            )
            for a, b in pairs
        ),
        "added_nulls": sum(
            sum(1 for k in b["properties"] if k not in a["properties"]) for a, b in pairs
        ),
        "changed_values": sorted(
            {
                f"{a['properties']['kind']}.{k}: {v!r} -> {b['properties'].get(k)!r}"
                for a, b in pairs
                for k, v in a["properties"].items()
                if b["properties"].get(k) != v
            }
        )[:6],
    }
    return result


def _print_writers(w: dict[str, Any]) -> None:
    print(f"\nGeoJSON writers: {w['files']} files (whole plan {w['bytes'] / 1e6:.2f} MB)")
    for name, s in w["seconds"].items():
        what = "whole file only" if name == "pyogrio" else "every file"
        print(f"  {name:<10}{s:>8.3f} s  ({what})")
    if w["rev"] is None:
        print("  (the old writer could not be read from git)")
    else:
        print(
            f"  geopandas against dicts ({w['rev']}): {w['identical']}/{w['files']} files byte "
            f"for byte the same, {w['json_equal']} equal as JSON, same paths: {w['same_paths']}"
        )
    g = w["gdal"]
    print(
        f"  pyogrio: {g['features']} features, geometries equal {g['geometry_equal']}, "
        f"properties equal {g['properties_equal']}, own values kept {g['own_values_equal']}, "
        f"{g['added_nulls']} null properties added, {g['bytes'] / 1e6:.2f} MB"
    )
    for line in g["changed_values"]:
        print(f"    e.g. {line}")


if __name__ == "__main__":
    sys.exit(main())
