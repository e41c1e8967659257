"""Check that the bundled road networks are honest about the instances' zones.

For every instance (``instances/*.json`` by default, or the files given) and the road network
it names (``network.nodes`` / ``network.edges``, relative to the instance file), list:

- **enters**: a road that is not a road of restricted zone Z (closed_loop or permit) but whose
  geometry runs inside Z's polygon, with the metres inside;
- **leaves**: a road of Z (both ends inside Z or at one of Z's checkpoints) whose geometry runs
  outside Z, with the metres outside;
- **crosses**: a road whose geometry meets Z's boundary away from a checkpoint;
- (a note, not a fault) **near**: a road outside Z, not ending at one of its checkpoints, that
  passes within ``--near-m`` (250 m) of Z's polygon;
- **node far**: a place or checkpoint whose ``node`` lies farther than ``--node-tol`` metres from
  its own lon/lat (the largest distance per instance is always printed).

A road's part within ``--gate-m`` (200 m) of one of its own end nodes that is a checkpoint of Z
does not count: checkpoints stand on the boundary and the road crosses there. A checkpoint of
another zone, or one the road only passes near, does not excuse anything. All geometry is in a
transverse Mercator projection centred on the instance's network (metres), shapely 2
vectorised over all roads at once.

Run from the project root: ``python scripts/check_regions.py [instances/X.json ...]``.
Exit 1 if any fault is found.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pyproj
import shapely

ROOT = Path(__file__).resolve().parents[1]
RESTRICTED = ("closed_loop", "permit")


def _read_network(inst_path: Path, inst: dict) -> tuple[dict, list[dict]]:
    base = inst_path.parent
    spec = inst["network"]
    nodes_fc = json.loads((base / spec["nodes"]).read_text())
    edges_fc = json.loads((base / spec["edges"]).read_text())
    nodes = {
        f["properties"]["id"]: tuple(f["geometry"]["coordinates"][:2]) for f in nodes_fc["features"]
    }
    return nodes, edges_fc["features"]


def _projector(lon0: float, lat0: float) -> pyproj.Transformer:
    crs = pyproj.CRS.from_proj4(
        f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
    )
    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def check_instance(
    inst_path: Path,
    gate_m: float = 200.0,
    tol_m: float = 1.0,
    node_tol_m: float = 200.0,
    near_m: float = 250.0,
) -> tuple[list[str], list[str], float]:
    """Faults and notes of one instance; the largest place/checkpoint-to-node distance (m)."""
    inst = json.loads(inst_path.read_text())
    if inst.get("network", {}).get("mode") != "road" or "edges" not in inst["network"]:
        return [], ["not a nodes/edges road network: skipped"], 0.0
    nodes, edges = _read_network(inst_path, inst)
    all_xy = np.array(list(nodes.values()), dtype=float)
    tr = _projector(float(all_xy[:, 0].mean()), float(all_xy[:, 1].mean()))

    def proj(geom):
        return shapely.transform(geom, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))

    faults: list[str] = []
    notes: list[str] = []

    # Places and checkpoints against their named node.
    worst = 0.0
    worst_id = "-"
    for kind in ("places", "checkpoints"):
        objs = [o for o in inst.get(kind, []) if o.get("node") is not None]
        if not objs:
            continue
        missing = [o["id"] for o in objs if o["node"] not in nodes]
        for oid in missing:
            faults.append(f"node missing: {kind} {oid!r} names a node not in the network")
        objs = [o for o in objs if o["node"] in nodes]
        own = proj(shapely.points([(o["lon"], o["lat"]) for o in objs]))
        at = proj(shapely.points([nodes[o["node"]] for o in objs]))
        dist = shapely.distance(own, at)
        for o, d in zip(objs, dist):
            if d > worst:
                worst, worst_id = float(d), o["id"]
            if d > node_tol_m:
                faults.append(
                    f"node far: {kind[:-1]} {o['id']!r} is {d:,.0f} m from its node {o['node']!r}"
                )
    notes.append(f"largest place/checkpoint-to-node distance: {worst:,.1f} m ({worst_id})")

    zones = [z for z in inst.get("zones", []) if z["policy"] in RESTRICTED]
    if not zones:
        notes.append("no restricted zones")
        return faults, notes, worst

    u = [f["properties"]["from"] for f in edges]
    v = [f["properties"]["to"] for f in edges]
    lines = proj(shapely.linestrings([f["geometry"]["coordinates"] for f in edges]))
    ends_u = proj(shapely.points([nodes[x] for x in u]))
    ends_v = proj(shapely.points([nodes[x] for x in v]))
    empty = shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")

    for z in zones:
        poly = proj(shapely.Polygon(z["polygon"][0], z["polygon"][1:]))
        gates = {c["node"] for c in inst.get("checkpoints", []) if c["zone"] == z["id"]}
        gate_u = np.array([x in gates for x in u])
        gate_v = np.array([x in gates for x in v])
        in_u = shapely.contains(poly, ends_u) & ~gate_u
        in_v = shapely.contains(poly, ends_v) & ~gate_v
        # A road of Z: every end inside Z or at Z's gate, and at least one end strictly inside.
        of_zone = (in_u | gate_u) & (in_v | gate_v) & (in_u | in_v)
        # The discs around the road's own gate ends, which do not count.
        disc_u = np.where(gate_u, shapely.buffer(ends_u, gate_m), empty)
        disc_v = np.where(gate_v, shapely.buffer(ends_v, gate_m), empty)
        discs = shapely.union(disc_u, disc_v)
        inside = shapely.length(shapely.difference(shapely.intersection(lines, poly), discs))
        outside = shapely.length(shapely.difference(shapely.difference(lines, poly), discs))
        crossing = shapely.difference(shapely.intersection(lines, poly.boundary), discs)
        n_cross = np.where(shapely.is_empty(crossing), 0, shapely.get_num_geometries(crossing))
        clearance = shapely.distance(shapely.difference(lines, discs), poly)
        label = f"{z['policy']} zone {z['id']!r}"
        for k in np.flatnonzero(~of_zone & (inside > tol_m)):
            faults.append(
                f"enters: {u[k]} -> {v[k]} runs {inside[k]:,.0f} m inside {label} "
                f"(neither end is inside it; road {shapely.length(lines[k]):,.0f} m)"
            )
        for k in np.flatnonzero(of_zone & (outside > tol_m)):
            faults.append(
                f"leaves: {u[k]} -> {v[k]} is a road of {label} but runs {outside[k]:,.0f} m "
                "outside it"
            )
        for k in np.flatnonzero(n_cross > 0):
            pts = shapely.get_coordinates(crossing[k])
            back = np.column_stack(tr.transform(pts[:, 0], pts[:, 1], direction="INVERSE"))
            where = ", ".join(f"{x:.4f} {y:.4f}" for x, y in back[:4])
            faults.append(
                f"crosses: {u[k]} -> {v[k]} meets the boundary of {label} "
                f"{int(n_cross[k])}x away from a checkpoint (lon lat: {where})"
            )
        # Roads outside Z that do not end at one of its gates: how close do they come?
        outer = ~of_zone & ~gate_u & ~gate_v
        for k in np.flatnonzero(outer & (inside <= tol_m) & (clearance < near_m)):
            notes.append(f"near: {u[k]} -> {v[k]} passes {clearance[k]:,.0f} m from {label}")
        if outer.any():
            k = np.flatnonzero(outer)[np.argmin(clearance[outer])]
            notes.append(
                f"{label}: closest road outside it (no gate end): {u[k]} -> {v[k]}, "
                f"{clearance[k]:,.0f} m"
            )
        notes.append(
            f"{label}: {int(of_zone.sum())} roads of the zone, {len(gates)} checkpoints, "
            f"{len(edges)} roads checked"
        )
    return faults, notes, worst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("instances", nargs="*", type=Path, help="default: instances/*.json")
    ap.add_argument("--gate-m", type=float, default=200.0, help="ignored around a gate end (m)")
    ap.add_argument("--tol-m", type=float, default=1.0, help="metres inside/outside tolerated")
    ap.add_argument("--near-m", type=float, default=250.0, help="note roads this close (m)")
    ap.add_argument("--node-tol-m", type=float, default=200.0, help="place-to-node tolerance (m)")
    args = ap.parse_args(argv)
    paths = args.instances or sorted((ROOT / "instances").glob("*.json"))
    paths = [p for p in paths if not p.name.startswith("_")]
    by_region: dict[str, list[Path]] = {}
    for p in paths:
        net = json.loads(p.read_text()).get("network", {})
        region = str((p.parent / net.get("edges", "?")).resolve().parent)
        by_region.setdefault(region, []).append(p)
    total = 0
    for region, insts in by_region.items():
        print(f"region {region}")
        seen: dict[str, str] = {}
        for p in insts:
            data = json.loads(p.read_text())
            key = json.dumps([data.get("zones"), data.get("checkpoints")], sort_keys=True)
            faults, notes, _ = check_instance(
                p, args.gate_m, args.tol_m, args.node_tol_m, args.near_m
            )
            total += len(faults)
            zone_faults = [f for f in faults if not f.startswith("node ")]
            other = [f for f in faults if f.startswith("node ")]
            print(f"  instance {p.name}: {len(faults)} fault(s)")
            if key in seen and zone_faults:
                print(
                    f"    zones and checkpoints as in {seen[key]}: same {len(zone_faults)} road faults"
                )
                zone_faults = []
            seen.setdefault(key, p.name)
            for line in zone_faults + other:
                print(f"    FAULT {line}")
            for line in notes:
                print(f"    {line}")
    print(f"{total} fault(s) in {len(paths)} instance(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
