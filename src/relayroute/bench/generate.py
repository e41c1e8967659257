"""Generated days on the bundled regions: benchmarks at any size, what-if days for planners.

A generated day is built the way the bundled days are (``scripts/build_instances.py``):
the same places, zones, checkpoints, stations and shift patterns, shipments drawn from
the same mix of trips with morning and afternoon peaks, and due times set from each
shipment's earliest delivery alone plus a slack. Trucks and loop drivers grow in
proportion to the shipments; stations (bays) and checkpoints (inspection rate) stay as
built: the physical infrastructure of the region does not grow with the traffic.

With the bundled seed, ``generate("yiwu", 200)`` is ``instances/yiwu-day.json`` and
``generate("liling", 500)`` is ``instances/liling-day.json`` (but for their names).
"""

from __future__ import annotations

import itertools
import json
import math
import random
from pathlib import Path
from typing import Any

from relayroute.errors import InputError

REGIONS = ("yiwu", "liling")
# The seeds the bundled days were drawn with.
SEEDS = {"yiwu": 20220813, "liling": 20221126}
# Shipments of the bundled day each region's proportions come from.
BASE_SHIPMENTS = {"yiwu": 200, "liling": 500}
DAY = 1440
WORK = [420.0, 1200.0]  # factory gates 07:00-20:00
LONG = [360.0, 1320.0]  # closed-loop factories and stations work long shifts
MAX_SHIPMENTS = 100_000


def data_folder() -> Path:
    """The region data bundled with the project (``data/`` beside ``src/``)."""
    return Path(__file__).resolve().parents[3] / "data"


def _nodes(data: Path, region: str) -> dict[str, tuple[float, float, str]]:
    path = data / region / "nodes.geojson"
    try:
        fc = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(str(path), f"cannot read the region's nodes: {exc.strerror}") from None
    return {
        f["properties"]["id"]: (*f["geometry"]["coordinates"], f["properties"]["name"])
        for f in fc["features"]
    }


def _place(
    n: dict[str, tuple[float, float, str]], pid: str, kind: str, hours: list | None = None
) -> dict[str, Any]:
    lon, lat, name = n[pid]
    out: dict[str, Any] = {"id": pid, "name": name, "kind": kind, "lon": lon, "lat": lat}
    out["node"] = pid
    if hours:
        out["hours"] = hours
    return out


def _scaled(counts: dict[str, int], total: int) -> dict[str, int]:
    """``counts`` scaled to sum to ``total`` (largest remainders; at least 1 each when
    there is room)."""
    base = sum(counts.values())
    raw = {k: c * total / base for k, c in counts.items()}
    out = {k: math.floor(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: (out[k] - raw[k], k))[: total - sum(out.values())]:
        out[k] += 1
    return out


def _ready(rng: random.Random) -> float:
    """Morning and early-afternoon peaks, as factory shifts load and unload."""
    peak = rng.random()
    if peak < 0.45:
        return float(rng.randrange(420, 600, 5))
    if peak < 0.8:
        return float(rng.randrange(780, 930, 5))
    return float(rng.randrange(360, 1080, 5))


YIWU_ZONE = [
    [120.00, 29.26],
    [120.02, 29.24],
    [120.13, 29.24],
    [120.13, 29.38],
    [120.00, 29.38],
    [120.00, 29.26],
]
DONGYANG_ZONE = [
    [120.18, 29.235],
    [120.255, 29.235],
    [120.255, 29.30],
    [120.18, 29.30],
    [120.18, 29.235],
]
YIWU_INSIDE = [
    "yiwu_futian",
    "yiwu_choujiang",
    "yiwu_beiyuan",
    "yiwu_chengxi",
    "yiwu_fotang",
    "yiwu_suxi",
    "yiwu_houzhai",
]
# Outside ends, weighted towards the nearby suppliers and customers of Yiwu's factories.
YIWU_OUTSIDE = ["jinhua"] * 3 + ["pujiang"] * 3 + ["dongyang"] * 3 + ["lanxi", "zhuji"] * 2
YIWU_OUTSIDE += ["hangzhou", "ningbo", "shengzhou"]
YIWU_KINDS = {"in": 42, "out": 36, "inside": 8, "direct": 84, "permit": 30}
YIWU_DEPOTS = {"depot_jinhua": 25, "depot_pujiang": 15, "depot_zhuji": 20}
YIWU_LOOP = {"rs_yiwu_port": 16, "rs_jindong": 12, "rs_pujiang": 12}
YIWU_BAYS = {"rs_yiwu_port": 3, "rs_jindong": 2, "rs_pujiang": 2}


def yiwu_base(data: Path) -> dict[str, Any]:
    """Yiwu's places, zones, checkpoints, stations, rail and depots (Yiwu, August 2022)."""
    n = _nodes(data, "yiwu")
    places = [
        _place(n, "yiwu_futian", "factory", [WORK]),
        _place(n, "yiwu_choujiang", "factory", [WORK]),
        _place(n, "yiwu_beiyuan", "factory", [WORK]),
        _place(n, "jinhua", "depot"),
        _place(n, "jindong", "station"),
        _place(n, "pujiang", "supplier", [[360.0, 1320.0]]),
        _place(n, "yiwu_port", "station"),
        _place(n, "jinhua_rail", "rail_station"),
        _place(n, "lanxi", "supplier", [WORK]),
        _place(n, "zhuji", "customer", [[360.0, 1320.0]]),
        _place(n, "hangzhou", "customer", [[360.0, 1380.0]]),
        _place(n, "shengzhou", "supplier", [WORK]),
        _place(n, "ningbo", "customer"),
        _place(n, "dongyang", "customer", [WORK]),
        _place(n, "dongyang_dev", "factory", [WORK]),
    ]
    checkpoints = [
        {"id": c, "name": n[c][2], "zone": z, "lon": n[c][0], "lat": n[c][1], "node": c, "delay": d}
        for c, z, d in [
            ("cp_yiwu_g60", "yiwu", 20),
            ("cp_yiwu_south", "yiwu", 20),
            ("cp_yiwu_north", "yiwu", 20),
            ("cp_dongyang_w", "dongyang", 10),
            ("cp_dongyang_n", "dongyang", 10),
            ("cp_dongyang_e", "dongyang", 10),
        ]
    ]
    stations = [
        {
            "id": f"rs_{p}",
            "name": f"{n[p][2]} relay station",
            "zone": "yiwu",
            "place": p,
            "driver_swap": True,
            "transload": p == "yiwu_port",
            "handover_minutes": 15,
            "transload_minutes": 45,
            "bays": b,
            "hours": [[360.0, 1320.0]],
        }
        for p, b in (("jindong", 3), ("pujiang", 2), ("yiwu_port", 4))
    ]
    return {
        "start": "2022-08-12T00:00:00+08:00",
        "horizon": DAY,
        "network": {
            "mode": "road",
            "nodes": str(data / "yiwu" / "nodes.geojson"),
            "edges": str(data / "yiwu" / "edges.geojson"),
        },
        "places": places,
        "zones": [
            {
                "id": "yiwu",
                "name": "Yiwu city (static management)",
                "policy": "closed_loop",
                "polygon": [YIWU_ZONE],
            },
            {
                "id": "dongyang",
                "name": "Dongyang development zone",
                "policy": "permit",
                "polygon": [DONGYANG_ZONE],
            },
        ],
        "checkpoints": checkpoints,
        "relay_stations": stations,
        "rail_stations": [
            {
                "id": "rail_jinhua",
                "name": "Jinhua station",
                "place": "jinhua_rail",
                "handling_minutes": 60,
            },
            {
                "id": "rail_yiwu_west",
                "name": "Yiwu West freight station",
                "place": "yiwu_port",
                "handling_minutes": 60,
            },
        ],
        "rail_services": [
            {
                "id": "jinhua-yiwu",
                "origin": "rail_jinhua",
                "destination": "rail_yiwu_west",
                "departures": [480.0, 840.0],
                "duration": 50,
                "cutoff_minutes": 60,
                "capacity": {"t": 200.0},
                "cost": 50,
            },
        ],
        "depots": [
            {"id": "depot_jinhua", "place": "jinhua"},
            {"id": "depot_pujiang", "place": "pujiang"},
            {"id": "depot_zhuji", "place": "zhuji"},
        ],
    }


def _solo_times(inst: dict[str, Any]) -> dict[str, float]:
    """Earliest delivery of each shipment alone, by road only (as the bundled days were
    set, before rail and transload ways existed)."""
    from relayroute.io.instance import instance_from_data
    from relayroute.itineraries import build_problem

    draft = json.loads(json.dumps(inst))
    draft["rail_services"] = []
    for st in draft.get("relay_stations", []):
        st["transload"] = False
    return build_problem(instance_from_data(draft, "<generated>")).solo


def _set_dues(inst: dict[str, Any], rng: random.Random, slacks: list[float]) -> None:
    """Due = earliest possible delivery alone + a slack: due times that bite; shipments
    that cannot be served at all are left out of the day."""
    solo = _solo_times(inst)
    kept = []
    for sh in inst["shipments"]:
        if sh["id"] not in solo:
            continue
        sh["due"] = float(math.ceil((solo[sh["id"]] + rng.choice(slacks)) / 5) * 5)
        kept.append(sh)
    inst["shipments"] = kept


def _yiwu(shipments: int, seed: int, data: Path, name: str) -> dict[str, Any]:
    rng = random.Random(seed)
    n = _nodes(data, "yiwu")
    inst = {"name": name, **yiwu_base(data)}
    scale = shipments / BASE_SHIPMENTS["yiwu"]
    known = {p["id"] for p in inst["places"]}
    for pid in YIWU_INSIDE:
        if pid not in known:
            inst["places"].append(_place(n, pid, "factory", [LONG]))
    for p in inst["places"]:
        if p["id"] in YIWU_INSIDE:
            p["hours"] = [LONG]
    for c in inst["checkpoints"]:
        if c["zone"] == "yiwu":
            c["throughput_per_hour"] = 12
    for st in inst["relay_stations"]:
        st["hours"] = [[300.0, 1380.0]]
        st["bays"] = YIWU_BAYS[st["id"]]
    trucks = sum(_scaled(YIWU_DEPOTS, max(1, round(60 * scale))).values())
    pools: list[dict[str, Any]] = [
        {
            "id": "outside",
            "kind": "outside",
            "count": trucks,
            "shift": [300.0, 1380.0],
            "max_duty": 720,
        }
    ]
    loop = _scaled(YIWU_LOOP, max(len(YIWU_LOOP), round(sum(YIWU_LOOP.values()) * scale)))
    for sid in YIWU_LOOP:
        total = loop[sid]
        early = (total + 1) // 2
        for name, k, shift in (
            ("early", early, [300.0, 1080.0]),
            ("late", total - early, [600.0, 1380.0]),
        ):
            if k:
                pools.append(
                    {
                        "id": f"loop_{sid[3:]}_{name}",
                        "kind": "loop",
                        "zone": "yiwu",
                        "station": sid,
                        "count": k,
                        "shift": shift,
                        "max_duty": 600,
                    }
                )
    inst["driver_pools"] = pools
    depots = [d for d, k in _scaled(YIWU_DEPOTS, trucks).items() for _ in range(k)]
    inst["trucks"] = [
        {
            "id": f"T{i + 1:02d}",
            "depot": depot,
            "capacity": {"t": 20.0, "pallets": 24.0} if i % 3 else {"t": 10.0, "pallets": 12.0},
            "available": [300.0, 1380.0],
            "permits": ["dongyang"] if i % 4 != 3 else [],
            "driver_pool": "outside",
        }
        for i, depot in enumerate(depots)
    ]
    kinds = [k for k, c in _scaled(YIWU_KINDS, shipments).items() for _ in range(c)]
    ships = []
    for k, kind in enumerate(kinds):
        if kind == "in":
            a, b = rng.choice(YIWU_OUTSIDE), rng.choice(YIWU_INSIDE)
        elif kind == "out":
            a, b = rng.choice(YIWU_INSIDE), rng.choice(YIWU_OUTSIDE)
        elif kind == "inside":
            a, b = rng.sample(YIWU_INSIDE, 2)
        elif kind == "direct":
            a = rng.choice(YIWU_OUTSIDE)
            b = rng.choice([p for p in YIWU_OUTSIDE if p != a])
        else:
            a, b = rng.choice(YIWU_OUTSIDE), "dongyang_dev"
            if rng.random() < 0.4:
                a, b = b, a
        tonnes = float(rng.choice([2, 4, 6, 8, 10]))
        ships.append(
            {
                "id": f"S{k + 1:03d}",
                "origin": a,
                "destination": b,
                "quantity": {"t": tonnes, "pallets": float(math.ceil(tonnes * 1.2))},
                "ready": _ready(rng),
                "due": DAY,  # set from the earliest delivery below
                "pickup_minutes": 20.0,
                "delivery_minutes": 25.0 if b in YIWU_INSIDE else 20.0,  # buffer-zone unloading
                "priority": rng.choice([1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 5.0]),
            }
        )
    rng.shuffle(ships)
    for k, sh in enumerate(ships):
        sh["id"] = f"S{k + 1:03d}"
    inst["shipments"] = ships
    _set_dues(inst, rng, [0, 15, 30, 45, 60, 90])
    return inst


LILING_PARK = [
    [113.51, 27.655],
    [113.55, 27.655],
    [113.55, 27.69],
    [113.51, 27.69],
    [113.51, 27.655],
]
LILING_INSIDE = ["liling_park", "liling_ceramics", "liling_glass", "liling_electric"]
# Outside ends, weighted: Liling and Zhuzhou suppliers first, Changsha and Pingxiang customers.
LILING_OUTSIDE = ["liling"] * 4 + ["zhuzhou"] * 3 + ["pingxiang"] * 2 + ["xiangtan"] * 2
LILING_OUTSIDE += ["changsha"] * 2 + ["liuyang"]
LILING_TRUCKS = 130  # for the bundled day's 500 shipments


def _liling(shipments: int, seed: int, data: Path, name: str) -> dict[str, Any]:
    """A Liling park day (Hunan, from 26 Nov 2022): a permit zone with three disinfection
    checkpoints of limited hourly throughput; every shipment has one end in the park."""
    rng = random.Random(seed)
    n = _nodes(data, "liling")
    trucks = max(1, round(LILING_TRUCKS * shipments / BASE_SHIPMENTS["liling"]))
    places = [_place(n, p, "factory", [LONG]) for p in LILING_INSIDE]
    places += [_place(n, p, "site", [[300.0, 1380.0]]) for p in sorted(set(LILING_OUTSIDE))]
    checkpoints = [
        {
            "id": c,
            "name": n[c][2],
            "zone": "liling_park",
            "lon": n[c][0],
            "lat": n[c][1],
            "node": c,
            "delay": 15,  # disinfection
            "hours": [[300.0, 1380.0]],
            "throughput_per_hour": k,
        }
        for c, k in (("cp_liling_park_w", 30), ("cp_liling_park_n", 30), ("cp_liling_park_e", 20))
    ]
    depots = [
        ("depot_liling", "liling"),
        ("depot_zhuzhou", "zhuzhou"),
        ("depot_pingxiang", "pingxiang"),
    ]
    fleet = []
    for i in range(trucks):
        depot = depots[0][0] if i % 2 == 0 else depots[1 + (i // 2) % 2][0]
        fleet.append(
            {
                "id": f"L{i + 1:03d}",
                "depot": depot,
                "capacity": {"t": 30.0} if i % 3 == 0 else {"t": 20.0},
                "available": [300.0, 1380.0],
                "permits": [] if i % 10 == 9 else ["liling_park"],  # a few have no pass
                "driver_pool": "drivers",
            }
        )
    ships = []
    for k in range(shipments):
        inside, outside = rng.choice(LILING_INSIDE), rng.choice(LILING_OUTSIDE)
        a, b = (outside, inside) if rng.random() < 0.5 else (inside, outside)
        tonnes = float(rng.choice([5, 8, 10, 12, 15, 20]))
        ships.append(
            {
                "id": f"P{k + 1:03d}",
                "origin": a,
                "destination": b,
                "quantity": {"t": tonnes},
                "ready": _ready(rng),
                "due": DAY,  # set from the earliest delivery below
                "pickup_minutes": 20.0,
                "delivery_minutes": 25.0 if b in LILING_INSIDE else 20.0,  # buffer-zone unloading
                "priority": rng.choice([1.0, 1.0, 1.0, 2.0, 3.0]),
            }
        )
    inst: dict[str, Any] = {
        "name": name,
        "start": "2022-11-28T00:00:00+08:00",
        "horizon": DAY,
        "network": {
            "mode": "road",
            "nodes": str(data / "liling" / "nodes.geojson"),
            "edges": str(data / "liling" / "edges.geojson"),
        },
        "places": places,
        "zones": [
            {
                "id": "liling_park",
                "name": "Liling economic development zone (freight pass needed)",
                "policy": "permit",
                "polygon": [LILING_PARK],
            }
        ],
        "checkpoints": checkpoints,
        "depots": [{"id": d, "place": p} for d, p in depots],
        "driver_pools": [
            {
                "id": "drivers",
                "kind": "outside",
                "count": trucks,
                "shift": [300.0, 1380.0],
                "max_duty": 720,
            }
        ],
        "trucks": fleet,
        "shipments": ships,
    }
    _set_dues(inst, rng, [0, 15, 30, 45, 60, 90])
    return inst


# A province: the regions' roads joined along the G60 Shanghai-Kunming expressway, which
# runs Jinhua - Quzhou - Shangrao - Nanchang - Pingxiang - Liling, drawn as one straight
# segment between the two regions' nodes on it (an approximation, like the regions' own
# roads: data/README.md).
CORRIDORS = {("liling", "yiwu"): ("pingxiang", "jinhua")}
CORRIDOR_DETOUR = 1.25  # road km per great-circle km, as scripts/build_regions.py
CORRIDOR_KMH = 80.0  # expressway
# Share of a province day's shipments that run between two regions (long haul), and the
# long-haul trucks for them: one a shipment (a day's drive each way), at the regions'
# depots, with no pass for the permit zones (they keep to the long-haul ends).
CROSS_SHARE = 0.02
# Ends of long-haul shipments in each region: outside every zone, on the region's roads.
CROSS_ENDS = {"yiwu": ["jinhua", "lanxi", "zhuji"], "liling": ["zhuzhou", "xiangtan", "liling"]}
CROSS_DEPOTS = {"yiwu": "depot_jinhua", "liling": "depot_liling"}


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle km between two lon/lat points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _write_json(path: Path, data: Any) -> None:
    from relayroute.io.atomic import write_text_atomic

    write_text_atomic(path, json.dumps(data, indent=1) + "\n")


def _province_roads(regions: list[str], data: Path, folder: Path) -> tuple[Path, Path]:
    """The regions' road files joined into one network in ``folder``, with the corridor
    between each pair of regions (:data:`CORRIDORS`)."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    where: dict[str, tuple[float, float]] = {}
    for r in regions:
        try:
            fn = json.loads((data / r / "nodes.geojson").read_text())
            fe = json.loads((data / r / "edges.geojson").read_text())
        except OSError as exc:
            raise InputError(
                str(data / r), f"cannot read the region's roads: {exc.strerror}"
            ) from None
        for f in fn["features"]:
            pid = f["properties"]["id"]
            if pid in where:
                raise InputError(str(data / r / "nodes.geojson"), f"node {pid!r} is in two regions")
            where[pid] = tuple(f["geometry"]["coordinates"])  # type: ignore[assignment]
        nodes += fn["features"]
        edges += fe["features"]
    for a, b in itertools.combinations(sorted(regions), 2):
        if (a, b) not in CORRIDORS:
            raise InputError("--region", f"no road between regions {a} and {b} is known")
        u, v = CORRIDORS[(a, b)]
        km = round(_km(where[u], where[v]) * CORRIDOR_DETOUR, 2)
        edges.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [where[u], where[v]]},
                "properties": {
                    "from": u,
                    "to": v,
                    "km": km,
                    "minutes": round(km / CORRIDOR_KMH * 60, 1),
                    "road_class": "expressway",
                    "closed": False,
                    "oneway": False,
                    "name": "G60 corridor (approx.: one straight segment, great-circle "
                    f"km x {CORRIDOR_DETOUR} at {CORRIDOR_KMH:g} km/h)",
                },
            }
        )
    folder.mkdir(parents=True, exist_ok=True)
    out_nodes, out_edges = folder / "nodes.geojson", folder / "edges.geojson"
    _write_json(out_nodes, {"type": "FeatureCollection", "features": nodes})
    _write_json(out_edges, {"type": "FeatureCollection", "features": edges})
    return out_nodes, out_edges


def province(
    regions: list[str], shipments: int, seed: int, data: Path, roads: Path
) -> dict[str, Any]:
    """A province day: each region's day drawn as :func:`generate` draws it (its share of
    the shipments, seed ``seed + 1000 k`` for the k-th region), all in one instance on
    the joined roads, plus long-haul shipments between the regions and long-haul trucks
    for them (:data:`CROSS_SHARE`).

    Parameters
    ----------
    regions
        Two or more of :data:`REGIONS`.
    shipments
        Shipments in all.
    seed
        Random seed.
    data
        The region data folder.
    roads
        Folder to write the joined road network into (``nodes.geojson``,
        ``edges.geojson``).
    """
    rng = random.Random(seed)
    cross = round(shipments * CROSS_SHARE) if shipments >= 50 else 0
    shares = _scaled(dict.fromkeys(regions, 1), shipments - cross)
    days = [
        (_yiwu if r == "yiwu" else _liling)(shares[r], seed + 1000 * k, data, r)
        for k, r in enumerate(regions)
    ]
    inst: dict[str, Any] = {
        "name": f"province-{'+'.join(regions)}-{shipments}-seed{seed}",
        "start": days[0]["start"],
        "horizon": DAY,
    }
    nodes, edges = _province_roads(regions, data, roads)
    inst["network"] = {"mode": "road", "nodes": str(nodes), "edges": str(edges)}
    for key in ("places", "zones", "checkpoints", "relay_stations", "rail_stations"):
        inst[key] = [x for d in days for x in d.get(key, [])]
    for key in ("rail_services", "depots", "driver_pools", "trucks", "shipments"):
        inst[key] = [x for d in days for x in d.get(key, [])]
    for key in ("places", "depots", "driver_pools", "trucks", "shipments", "zones"):
        ids = [x["id"] for x in inst[key]]
        if len(ids) != len(set(ids)):
            raise InputError(f"$.{key}", "the regions' days share an id")  # never, as built
    if cross:
        trucks = cross
        # Long-haul trucks run with two drivers (a longer duty) and end their day at the
        # other region's depot: the trucks that cross regions.
        inst["driver_pools"].append(
            {
                "id": "longhaul",
                "kind": "outside",
                "count": trucks,
                "shift": [240.0, 1440.0],
                "max_duty": 1080,
            }
        )
        inst["trucks"] += [
            {
                "id": f"X{i + 1:02d}",
                "depot": CROSS_DEPOTS[regions[i % len(regions)]],
                "end_depot": CROSS_DEPOTS[regions[(i + 1) % len(regions)]],
                "capacity": {"t": 30.0, "pallets": 36.0},
                "available": [240.0, 1440.0],
                "permits": [],
                "driver_pool": "longhaul",
            }
            for i in range(trucks)
        ]
        known = {p["id"] for p in inst["places"]}
        long: list[dict[str, Any]] = []
        for k in range(cross):
            ra, rb = rng.sample(regions, 2)
            a, b = rng.choice(CROSS_ENDS[ra]), rng.choice(CROSS_ENDS[rb])
            if a not in known or b not in known:
                continue
            tonnes = float(rng.choice([10, 15, 20, 25]))
            long.append(
                {
                    "id": f"X{k + 1:04d}",
                    "origin": a,
                    "destination": b,
                    "quantity": {"t": tonnes, "pallets": float(math.ceil(tonnes * 1.2))},
                    "ready": float(rng.randrange(240, 480, 5)),  # long haul leaves early
                    "due": DAY,
                    "pickup_minutes": 30.0,
                    "delivery_minutes": 30.0,
                    "priority": rng.choice([1.0, 1.0, 2.0]),
                }
            )
        draft = {**inst, "shipments": long}
        _set_dues(draft, rng, [30, 60, 120])
        inst["shipments"] += draft["shipments"]
    return inst


def generate(
    region: str,
    shipments: int,
    seed: int | None = None,
    *,
    data: Path | None = None,
    relative_to: Path | None = None,
    roads: Path | None = None,
) -> dict[str, Any]:
    """A generated day on a bundled region, or a province of several, as instance JSON data.

    Parameters
    ----------
    region
        ``yiwu`` (a closed city with three relay stations, a permit zone and a train) or
        ``liling`` (a permit park with three disinfection checkpoints); or several,
        comma-separated (``yiwu,liling``): a province day (:func:`province`).
    shipments
        Shipments to draw; those no truck can serve at all are left out, so the day may
        hold a few less.
    seed
        Random seed; the (first) region's bundled day's seed when omitted.
    data
        The region data folder (``data/`` of the project when omitted).
    relative_to
        Write the network paths relative to this folder (where the instance will be
        saved); absolute when omitted.
    roads
        A province's joined road network is written into this folder (a new temporary
        folder when omitted); unused for one region.

    Returns
    -------
    dict
        The instance, ready for :func:`relayroute.io.instance.instance_from_data` or to
        be written as JSON.

    Raises
    ------
    InputError
        An unknown region, a number of shipments out of range, or region data missing.
    """
    regions = [r.strip() for r in region.split(",")]
    for r in regions:
        if r not in REGIONS:
            raise InputError("--region", f"unknown region {r!r}; one of {', '.join(REGIONS)}")
    if len(set(regions)) != len(regions):
        raise InputError("--region", f"a region named twice in {region!r}")
    if not 1 <= shipments <= MAX_SHIPMENTS:
        raise InputError("--shipments", f"between 1 and {MAX_SHIPMENTS:,}, got {shipments}")
    if len(regions) > 1 and shipments < len(regions):
        raise InputError("--shipments", f"at least one a region, got {shipments}")
    data = (data or data_folder()).resolve()
    seed = SEEDS[regions[0]] if seed is None else seed
    if len(regions) > 1:
        import tempfile

        folder = roads or Path(tempfile.mkdtemp(prefix="relayroute-province-"))
        inst = province(regions, shipments, seed, data, folder.resolve())
    else:
        build = _yiwu if region == "yiwu" else _liling
        inst = build(shipments, seed, data, f"{region}-{shipments}-seed{seed}")
    if relative_to is not None:
        import os

        net = inst["network"]
        for key in ("nodes", "edges"):
            net[key] = Path(os.path.relpath(net[key], relative_to.resolve())).as_posix()
    return inst
