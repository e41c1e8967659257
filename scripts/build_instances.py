"""Build the bundled instances in instances/ from the region data (fixed seed).

Run from the project root: ``python scripts/build_instances.py``. Figures come from
../shared/DOMAIN.md (Yiwu, August 2022: static management of the whole city; relay
stations at Jindong, Pujiang and Yiwu port; "swap the driver, keep the truck").
"""

from __future__ import annotations

import json
import math
import os
import random
from pathlib import Path

from relayroute.bench import generate as generated
from relayroute.bench.generate import YIWU_INSIDE

ROOT = Path(__file__).resolve().parents[1]


def _nodes(region: str) -> dict[str, tuple[float, float, str]]:
    fc = json.loads((ROOT / "data" / region / "nodes.geojson").read_text())
    return {
        f["properties"]["id"]: (*f["geometry"]["coordinates"], f["properties"]["name"])
        for f in fc["features"]
    }


def _place(
    n: dict[str, tuple[float, float, str]], pid: str, kind: str, hours: list | None = None
) -> dict:
    """A place on its own network node."""
    lon, lat, name = n[pid]
    out = {"id": pid, "name": name, "kind": kind, "lon": lon, "lat": lat, "node": pid}
    if hours:
        out["hours"] = hours
    return out


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


DAY = 1440
WORK = [420.0, 1200.0]  # factory gates 07:00-20:00


def _relative(inst: dict) -> dict:
    """Network paths relative to instances/, where the bundled days are written."""
    net = inst["network"]
    for key in ("nodes", "edges"):
        net[key] = Path(os.path.relpath(net[key], ROOT / "instances")).as_posix()
    return inst


def yiwu_base() -> dict:
    return _relative(generated.yiwu_base(ROOT / "data"))


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


def _solo_times(inst: dict, base: Path, road_only: bool) -> dict[str, float]:
    """Earliest delivery of each shipment alone (relayroute's own lower-bound pass).

    ``road_only``: by road alone, as the issue 3 scenarios were built (before rail and
    transload ways existed), so that rebuilding reproduces them.
    """
    from relayroute.io.instance import instance_from_data
    from relayroute.itineraries import build_problem

    if road_only:
        inst = json.loads(json.dumps(inst))
        inst["rail_services"] = []
        for st in inst.get("relay_stations", []):
            st["transload"] = False
    model = instance_from_data(inst, "<draft>")
    return build_problem(model, base).solo


def _set_dues(inst: dict, rng: random.Random, slacks: list[float], road_only: bool = True) -> None:
    """Due = earliest possible delivery alone + a slack: due times that bite."""
    solo = _solo_times(inst, ROOT / "instances", road_only)
    kept = []
    for sh in inst["shipments"]:
        if sh["id"] not in solo:
            continue  # cannot be served at all: left out of the scenario
        sh["due"] = float(math.ceil((solo[sh["id"]] + rng.choice(slacks)) / 5) * 5)
        kept.append(sh)
    inst["shipments"] = kept


def _named(day: dict, name: str) -> dict:
    """``day`` named ``name``, the key where the bundled file has it (its bytes unchanged:
    plans name their instance by its SHA-256)."""
    out = {k: v for k, v in day.items() if k != "name"}
    keys = list(out)
    # yiwu-day was named after its base was built; liling-day first.
    cut = keys.index("driver_pools") if name.startswith("yiwu") else 0
    return {
        **{k: out[k] for k in keys[:cut]},
        "name": name,
        **{k: out[k] for k in keys[cut:]},
    }


def yiwu_day() -> dict:
    """A Yiwu lockdown day: about 200 shipments, 3 relay stations, 60 trucks, 40 loop drivers
    (drawn by :func:`relayroute.bench.generate.generate` with the bundled seed)."""
    return _named(generated.generate("yiwu", 200, relative_to=ROOT / "instances"), "yiwu-day")


def liling_day() -> dict:
    """A Liling park day: 500 shipments, 130 trucks (the generator with the bundled seed)."""
    return _named(generated.generate("liling", 500, relative_to=ROOT / "instances"), "liling-day")


def _fleet(prefix: str, count: int, depot: str, available: list[float], pool: str) -> list[dict]:
    """``count`` 10 t trucks ``<prefix>1``, ``<prefix>2``, … at one depot, one driver pool."""
    return [
        {
            "id": f"{prefix}{k + 1}",
            "depot": depot,
            "capacity": {"t": 10.0, "pallets": 12.0},
            "available": available,
            "permits": [],
            "driver_pool": pool,
        }
        for k in range(count)
    ]


def yiwu_day_transload(scarce: dict) -> dict:
    """The scarce Yiwu day (20 loop drivers) with goods allowed to change trucks at the Yiwu
    port station: a 30-minute transload there, and six 10 t shuttle trucks based at the
    station. A truck from far away may unload at the port and leave, and a shuttle takes
    the goods of several trucks into the city in one loop-driver excursion, instead of
    each truck waiting for its own swap. Same shipments and due times as the scarce day.
    """
    day = json.loads(json.dumps(scarce))
    day["name"] = "yiwu-day-transload"
    for st in day["relay_stations"]:
        if st["id"] == "rs_yiwu_port":
            st["transload_minutes"] = 30
    day["depots"].append({"id": "depot_yiwu_port", "place": "yiwu_port"})
    day["driver_pools"].append(
        {"id": "shuttle", "kind": "outside", "count": 6, "shift": [300.0, 1380.0], "max_duty": 720}
    )
    day["trucks"] += _fleet("Y", 6, "depot_yiwu_port", [300.0, 1380.0], "shuttle")
    return day


def yiwu_day_port(demo: dict, seed: int = 20220814) -> dict:
    """A day at the Yiwu port station where transload beats the driver swap for one flow.

    The demo day (40 shipments, 15 trucks) with, at the port: **10 container loads**
    (3-6 t) from the port's freight yard to factories inside the city, and **12 import
    containers** (6-8 t) arriving from Ningbo port for factories inside, each on its own
    Ningbo haulier's truck whose driver works **at most 9 hours** (no time to wait for a
    swap: Ningbo to Yiwu port is over three hours each way, an excursion into the city
    about three more). The port has **16 loop drivers** (the demo's pool, enlarged as in
    yiwu-day) and **three 10 t port trucks**. By road, the imports need trucks from the
    Yiwu region to fetch them from Ningbo; with a 30-min transload at the port, the
    Ningbo trucks drop their containers there and the port's and region's trucks take them
    in. Due times of the new shipments: alone by road + {30, 60, 90} min.
    """
    rng = random.Random(seed)
    day = json.loads(json.dumps(demo))
    day["name"] = "yiwu-day-port"
    n = _nodes("yiwu")
    known = {p["id"] for p in day["places"]}
    for pid in YIWU_INSIDE:
        if pid not in known:
            day["places"].append(_place(n, pid, "factory", [[360.0, 1320.0]]))
    for pool in day["driver_pools"]:
        if pool["kind"] == "loop":
            pool["count"] = 16
    for st in day["relay_stations"]:
        if st["id"] == "rs_yiwu_port":
            st["transload_minutes"] = 30
    day["depots"] += [
        {"id": "depot_yiwu_port", "place": "yiwu_port"},
        {"id": "depot_ningbo", "place": "ningbo"},
    ]
    day["driver_pools"] += [
        {"id": "port", "kind": "outside", "count": 3, "shift": [360.0, 1320.0], "max_duty": 720},
        {"id": "ningbo", "kind": "outside", "count": 12, "shift": [300.0, 1380.0], "max_duty": 540},
    ]
    day["trucks"] += _fleet("Y", 3, "depot_yiwu_port", [360.0, 1320.0], "port")
    day["trucks"] += _fleet("N", 12, "depot_ningbo", [300.0, 1380.0], "ningbo")
    ships = []
    for k in range(10):
        tonnes = float(rng.choice([3, 4, 5, 6]))
        ships.append(
            {
                "id": f"C{k + 1:02d}",
                "origin": "yiwu_port",
                "destination": rng.choice(YIWU_INSIDE),
                "quantity": {"t": tonnes, "pallets": float(math.ceil(tonnes * 1.2))},
                "ready": float(rng.randrange(360, 780, 30)),
                "due": float(DAY),  # set from the earliest delivery below
                "pickup_minutes": 20.0,
                "delivery_minutes": 25.0,
                "priority": 1.0,
            }
        )
    for k in range(12):
        ships.append(
            {
                "id": f"N{k + 1:02d}",
                "origin": "ningbo",
                "destination": rng.choice(YIWU_INSIDE),
                "quantity": {"t": float(rng.choice([6, 7, 8])), "pallets": 10.0},
                "ready": float(rng.randrange(300, 480, 30)),
                "due": float(DAY),  # set from the earliest delivery below
                "pickup_minutes": 30.0,
                "delivery_minutes": 30.0,
                "priority": 1.0,
            }
        )
    draft = {**day, "shipments": ships}
    _set_dues(draft, rng, [30, 60, 90])
    day["shipments"] += draft["shipments"]
    return day


def fuquan_kaili() -> dict:
    """Fuquan, Guizhou: a phosphate-chemicals plant whose freight could not cross the
    province by road (checkpoints turned trucks back, few drivers would run) and went by
    rail through Kaili station (DOMAIN.md, seed 004).

    Two days (the trains take most of a day). Raw materials come in by road: phosphate rock
    from a mine near Fuquan, sulphur from Guiyang. Products go out towards Guangdong (a
    distributor in Foshan) and Chongqing; the expressways out of the province are closed at
    Duyun and Zunyi (data/fuquan-kaili), so those go by train from Kaili, with trucks at
    both ends. Drivers are short: 6 for the plant's 8 trucks, 10 hours each over the two
    days. Rail figures (three departures a day each way, 60 t a departure, a 2-hour cut-off
    and 2 hours' handling) are our choice; the report gives none.
    """
    rng = random.Random(20220420)
    n = _nodes("fuquan-kaili")
    gates = [[360.0, 1320.0], [1800.0, 2760.0]]  # 06:00-22:00 both days
    places = [
        _place(n, "fuquan_chem", "factory", gates),
        _place(n, "fuquan_mine", "supplier", gates),
        _place(n, "guiyang", "supplier", gates),
        _place(n, "foshan", "customer", gates),
        _place(n, "chongqing", "customer", gates),
        _place(n, "kaili", "customer", gates),
        _place(n, "fuquan", "depot"),
        _place(n, "kaili_rail", "station"),
        _place(n, "guangzhou_rail", "station"),
        _place(n, "chongqing_rail", "station"),
    ]
    rail_stations = [
        {"id": "kaili", "name": "Kaili", "place": "kaili_rail", "handling_minutes": 120},
        {
            "id": "guangzhou",
            "name": "Guangzhou",
            "place": "guangzhou_rail",
            "handling_minutes": 120,
        },
        {
            "id": "chongqing",
            "name": "Chongqing",
            "place": "chongqing_rail",
            "handling_minutes": 120,
        },
    ]
    services = [
        {
            "id": "kaili-guangzhou",
            "origin": "kaili",
            "destination": "guangzhou",
            "departures": [600.0, 1080.0, 1560.0],
            "duration": 720.0,
            "cutoff_minutes": 120.0,
            "capacity": {"t": 60.0},
            "cost": 20.0,
        },
        {
            "id": "kaili-chongqing",
            "origin": "kaili",
            "destination": "chongqing",
            "departures": [660.0, 1140.0, 1620.0],
            "duration": 540.0,
            "cutoff_minutes": 120.0,
            "capacity": {"t": 60.0},
            "cost": 15.0,
        },
    ]
    depots = [
        ("plant", "fuquan"),
        ("kaili_depot", "kaili"),
        ("guangzhou_depot", "guangzhou_rail"),
        ("chongqing_depot", "chongqing_rail"),
    ]
    pools = [
        ("plant_drivers", 6, "plant", 8),
        ("kaili_drivers", 2, "kaili_depot", 2),
        ("guangzhou_drivers", 2, "guangzhou_depot", 2),
        ("chongqing_drivers", 2, "chongqing_depot", 2),
    ]
    fleet = []
    driver_pools = []
    for pid, count, depot, trucks in pools:
        driver_pools.append(
            {"id": pid, "kind": "outside", "count": count, "shift": [0.0, 2880.0], "max_duty": 600}
        )
        for k in range(trucks):
            fleet.append(
                {
                    "id": f"{depot.split('_')[0]}-{k + 1}",
                    "depot": depot,
                    "capacity": {"t": 30.0},
                    "available": [0.0, 2880.0],
                    "driver_pool": pid,
                }
            )
    ships = []

    def add(prefix: str, count: int, origin: str, dest: str, tonnes: list[float]) -> None:
        for k in range(count):
            ships.append(
                {
                    "id": f"{prefix}{k + 1}",
                    "origin": origin,
                    "destination": dest,
                    "quantity": {"t": rng.choice(tonnes)},
                    "ready": float(rng.randrange(360, 720, 15)),
                    "due": float(DAY),  # set from the earliest delivery below
                    "pickup_minutes": 30.0,
                    "delivery_minutes": 30.0,
                    "priority": rng.choice([1.0, 1.0, 2.0]),
                }
            )

    add("ROCK", 5, "fuquan_mine", "fuquan_chem", [25.0, 30.0])
    add("SULPHUR", 5, "guiyang", "fuquan_chem", [15.0, 20.0, 25.0])
    add("GD", 8, "fuquan_chem", "foshan", [10.0, 12.5, 15.0])
    add("CQ", 6, "fuquan_chem", "chongqing", [10.0, 12.5, 15.0])
    add("KL", 3, "fuquan_chem", "kaili", [10.0, 15.0])
    inst = {
        "name": "fuquan-kaili",
        "start": "2022-04-20T00:00:00+08:00",
        "horizon": 2880.0,
        "network": {
            "mode": "road",
            "nodes": "../data/fuquan-kaili/nodes.geojson",
            "edges": "../data/fuquan-kaili/edges.geojson",
        },
        "places": places,
        "rail_stations": rail_stations,
        "rail_services": services,
        "depots": [{"id": d, "place": p} for d, p in depots],
        "driver_pools": driver_pools,
        "trucks": fleet,
        "shipments": ships,
    }
    _set_dues(inst, rng, [60, 120, 240, 360], road_only=False)
    return inst


def main() -> None:
    out = ROOT / "instances"
    out.mkdir(exist_ok=True)
    demo = yiwu_demo()
    (out / "yiwu-demo.json").write_text(json.dumps(demo, indent=1) + "\n")
    (out / "yiwu-day-port.json").write_text(json.dumps(yiwu_day_port(demo), indent=1) + "\n")
    day = yiwu_day()
    (out / "yiwu-day.json").write_text(json.dumps(day, indent=1) + "\n")
    # The same day with half the loop drivers (20 of 40).
    scarce = json.loads(json.dumps(day))
    scarce["name"] = "yiwu-day-scarce"
    for pool in scarce["driver_pools"]:
        if pool["kind"] == "loop":
            pool["count"] = max(1, pool["count"] // 2)
    (out / "yiwu-day-scarce.json").write_text(json.dumps(scarce, indent=1) + "\n")
    (out / "yiwu-day-transload.json").write_text(
        json.dumps(yiwu_day_transload(scarce), indent=1) + "\n"
    )
    # The same day with the Yiwu port station closing at noon (data only: no re-planning yet).
    closed = json.loads(json.dumps(day))
    closed["name"] = "yiwu-day-station-closed"
    for st in closed["relay_stations"]:
        if st["id"] == "rs_yiwu_port":
            st["hours"] = [[300.0, 720.0]]
    (out / "yiwu-day-station-closed.json").write_text(json.dumps(closed, indent=1) + "\n")
    (out / "liling-day.json").write_text(json.dumps(liling_day(), indent=1) + "\n")
    (out / "fuquan-kaili.json").write_text(json.dumps(fuquan_kaili(), indent=1) + "\n")


if __name__ == "__main__":
    main()
