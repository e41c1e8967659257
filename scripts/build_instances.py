"""Build the bundled instances in instances/ from the region data (fixed seed).

Run from the project root: ``python scripts/build_instances.py``. Figures come from
../shared/DOMAIN.md (Yiwu, August 2022: static management of the whole city; relay
stations at Jindong, Pujiang and Yiwu port; "swap the driver, keep the truck").
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _nodes(region: str) -> dict[str, tuple[float, float, str]]:
    fc = json.loads((ROOT / "data" / region / "nodes.geojson").read_text())
    return {
        f["properties"]["id"]: (*f["geometry"]["coordinates"], f["properties"]["name"])
        for f in fc["features"]
    }


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


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
DAY = 1440
WORK = [420.0, 1200.0]  # factory gates 07:00-20:00


def yiwu_base() -> dict:
    n = _nodes("yiwu")

    def place(pid: str, kind: str, hours: list | None = None) -> dict:
        lon, lat, name = n[pid]
        out = {"id": pid, "name": name, "kind": kind, "lon": lon, "lat": lat, "node": pid}
        if hours:
            out["hours"] = hours
        return out

    places = [
        place("yiwu_futian", "factory", [WORK]),
        place("yiwu_choujiang", "factory", [WORK]),
        place("yiwu_beiyuan", "factory", [WORK]),
        place("jinhua", "depot"),
        place("jindong", "station"),
        place("pujiang", "supplier", [[360.0, 1320.0]]),
        place("yiwu_port", "station"),
        place("jinhua_rail", "rail_station"),
        place("lanxi", "supplier", [WORK]),
        place("zhuji", "customer", [[360.0, 1320.0]]),
        place("hangzhou", "customer", [[360.0, 1380.0]]),
        place("shengzhou", "supplier", [WORK]),
        place("ningbo", "customer"),
        place("dongyang", "customer", [WORK]),
        place("dongyang_dev", "factory", [WORK]),
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
    return {
        "start": "2022-08-12T00:00:00+08:00",
        "horizon": DAY,
        "network": {
            "mode": "road",
            "nodes": "../data/yiwu/nodes.geojson",
            "edges": "../data/yiwu/edges.geojson",
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
        "relay_stations": [
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
        ],
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


def yiwu_demo() -> dict:
    rng = random.Random(20220812)
    inst = yiwu_base()
    inst["name"] = "yiwu-demo"
    inst["driver_pools"] = [
        {
            "id": "outside",
            "kind": "outside",
            "count": 15,
            "shift": [360.0, 1320.0],
            "max_duty": 720,
        },
        {
            "id": "loop_yiwu",
            "kind": "loop",
            "zone": "yiwu",
            "station": "rs_yiwu_port",
            "count": 6,
            "shift": [360.0, 1320.0],
            "max_duty": 600,
        },
    ]
    trucks = []
    depots = ["depot_jinhua"] * 8 + ["depot_pujiang"] * 4 + ["depot_zhuji"] * 3
    for i, depot in enumerate(depots):
        big = i % 2 == 0
        trucks.append(
            {
                "id": f"T{i + 1:02d}",
                "depot": depot,
                "capacity": {"t": 20.0, "pallets": 18.0} if big else {"t": 10.0, "pallets": 10.0},
                "available": [360.0, 1320.0],
                "permits": ["dongyang"] if i % 3 != 2 else [],
                "driver_pool": "outside",
            }
        )
    inst["trucks"] = trucks
    coords = {p["id"]: (p["lon"], p["lat"]) for p in inst["places"]}
    outside = [
        "jinhua",
        "lanxi",
        "pujiang",
        "zhuji",
        "hangzhou",
        "ningbo",
        "yiwu_port",
        "shengzhou",
        "jinhua_rail",
    ]
    permit = ["dongyang", "dongyang_dev"]
    closed = ["yiwu_futian", "yiwu_choujiang", "yiwu_beiyuan"]
    pairs: list[tuple[str, str]] = []
    for _ in range(26):
        a, b = rng.sample(outside, 2)
        pairs.append((a, b))
    for _ in range(6):
        a = rng.choice(outside)
        b = rng.choice(permit)
        pairs.append((a, b) if rng.random() < 0.6 else (b, a))
    for _ in range(8):  # to and from the closed city: need relay stations (next issue)
        a, b = rng.choice(outside), rng.choice(closed)
        pairs.append((a, b) if rng.random() < 0.6 else (b, a))
    shipments = []
    for k, (a, b) in enumerate(pairs):
        ready = float(rng.randrange(420, 900, 15))
        drive = _km(coords[a], coords[b]) * 1.3 / 60 * 60
        slack = rng.choice([-30, 0, 15, 30, 60, 90, 120])
        tonnes = float(rng.choice([2, 4, 6, 8, 10, 12]))
        ship = {
            "id": f"S{k + 1:03d}",
            "origin": a,
            "destination": b,
            "quantity": {"t": tonnes, "pallets": float(math.ceil(tonnes * 0.8))},
            "ready": ready,
            "due": float(math.ceil((ready + drive + 40 + slack) / 5) * 5),
            "pickup_minutes": 20.0,
            "delivery_minutes": 20.0,
            "priority": rng.choice([1.0, 1.0, 1.0, 2.0, 3.0, 5.0]),
        }
        shipments.append(ship)
    inst["shipments"] = shipments
    inst["objective"] = {
        "unserved": 100000,
        "delay": 1,
        "km": 0.01,
        "truck": 1,
        "loop_driver": 1,
        "rail": 1,
    }
    return inst


def main() -> None:
    out = ROOT / "instances"
    out.mkdir(exist_ok=True)
    (out / "yiwu-demo.json").write_text(json.dumps(yiwu_demo(), indent=1) + "\n")


if __name__ == "__main__":
    main()
