"""Build the bundled region networks in data/ (approximate roads; see data/README.md).

No road extract of these regions can be fetched here, so each road is a straight segment
between real, public place coordinates (towns, expressway junctions, stations), its length
the WGS84 geodesic distance (``relayroute.network.graph.geodesic_km``, pyproj.Geod) times a
detour factor and its time that length at a truck speed of its road class. Run from the
project root: ``python scripts/build_regions.py [--out FOLDER]`` (default ``data/``).

The bundled ``data/*/edges.geojson`` were built with the spherical (haversine, R = 6371.0088
km) great-circle formula this script used until 2026-12-01, and are kept as they are: the
instances and every result in BENCHMARKS.md were computed on them. A rebuild with this
script into another folder (``--out /tmp/regions``, measured 2026-12-01) gives the same
nodes and geometries; of the 75 edges, 56 change ``km`` (27 change ``minutes``) — the
geodesic is 0.355 % shorter to 0.185 % longer than the sphere's arc, after rounding to
0.01 km −0.54 % to +0.51 % (short urban roads), at most 0.81 km (Zunyi–Chongqing, 259.58 →
258.77 km, 194.7 → 194.1 min) — and the ``relayroute.approximation`` note says "geodesic".
Overwriting ``data/`` would change the instances' travel times and so every plan.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from relayroute.network.graph import geodesic_km

ROOT = Path(__file__).resolve().parents[1]
DETOUR = 1.25  # road km per straight-line km, a common rural figure
TRUCK_KMH = {
    "expressway": 80.0,
    "national": 50.0,
    "provincial": 45.0,
    "urban": 30.0,
    "access": 25.0,
}


def road_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Road km between two (lon, lat) nodes: the WGS84 geodesic times :data:`DETOUR`,
    rounded to 10 m."""
    km = float(
        geodesic_km(np.array([a[0]]), np.array([a[1]]), np.array([b[0]]), np.array([b[1]]))[0]
    )
    return round(km * DETOUR, 2)


def write_region(
    name: str,
    nodes: dict[str, tuple[float, float, str]],
    roads: list[tuple[str, str, str]],
    note: str,
    closed: frozenset[tuple[str, str]] = frozenset(),
    out: Path = ROOT / "data",
) -> None:
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    node_features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"id": nid, "name": label},
        }
        for nid, (lon, lat, label) in nodes.items()
    ]
    edge_features = []
    for u, v, cls in roads:
        a, b = nodes[u][:2], nodes[v][:2]
        km = road_km(a, b)
        minutes = round(km / TRUCK_KMH[cls] * 60, 1)
        edge_features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [list(a), list(b)]},
                "properties": {
                    "from": u,
                    "to": v,
                    "km": km,
                    "minutes": minutes,
                    "road_class": cls,
                    "closed": (u, v) in closed,
                    "oneway": False,
                },
            }
        )
    meta = {"approximation": note, "detour_factor": DETOUR, "truck_kmh": TRUCK_KMH}
    for fname, feats in (("nodes.geojson", node_features), ("edges.geojson", edge_features)):
        fc = {"type": "FeatureCollection", "features": feats, "relayroute": meta}
        (folder / fname).write_text(json.dumps(fc, indent=1) + "\n")


NOTE = "straight segments between public place coordinates; km = WGS84 geodesic x 1.25; minutes at truck speed by class"

# Yiwu region (Zhejiang). lon, lat, label. Towns from public coordinates; junctions,
# exits and stations placed by hand near their real locations (approximate).
YIWU_NODES: dict[str, tuple[float, float, str]] = {
    "yiwu_centre": (120.0753, 29.3069, "Yiwu city centre"),
    "yiwu_futian": (120.0950, 29.3450, "Futian industrial area (inside Yiwu)"),
    "yiwu_choujiang": (120.0550, 29.2700, "Choujiang / Yiwu economic development zone (inside)"),
    "yiwu_beiyuan": (120.0450, 29.3350, "Beiyuan industrial area (inside)"),
    "cp_yiwu_g60": (120.0000, 29.3400, "G60 Yiwu exit checkpoint (approx.)"),
    "cp_yiwu_south": (120.0800, 29.2400, "G1512 Yiwu south exit checkpoint (approx.)"),
    "cp_yiwu_north": (120.1000, 29.3800, "Yiwu north (Suxi direction) checkpoint (approx.)"),
    "j_g60_yiwu": (119.9800, 29.3500, "G60 junction west of Yiwu (approx.)"),
    "j_south": (120.0800, 29.2150, "G1512 junction south of Yiwu (approx.)"),
    "j_southwest": (119.9900, 29.2300, "junction south-west of Yiwu (approx.)"),
    "j_north": (120.1000, 29.4100, "junction north of Yiwu, Suxi (approx.)"),
    "j_east": (120.1900, 29.3300, "junction east of Yiwu towards Dongyang (approx.)"),
    "yiwu_port": (119.9850, 29.2950, "Yiwu port / Yiwu West freight station area (approx.)"),
    "jindong": (119.7000, 29.1000, "Jindong district, Jinhua (approx.)"),
    "jinhua": (119.6470, 29.0790, "Jinhua city"),
    "jinhua_rail": (119.6330, 29.1110, "Jinhua railway station (approx.)"),
    "lanxi": (119.4719, 29.2167, "Lanxi"),
    "pujiang": (119.8860, 29.4603, "Pujiang county seat"),
    "zhuji": (120.2364, 29.7136, "Zhuji (Hangzhou direction)"),
    "hangzhou": (120.1551, 30.2741, "Hangzhou"),
    "shengzhou": (120.8281, 29.5887, "Shengzhou (Ningbo direction)"),
    "ningbo": (121.5440, 29.8683, "Ningbo"),
    "dongyang": (120.2167, 29.2667, "Dongyang city"),
    "dongyang_dev": (120.2350, 29.2800, "Dongyang development zone (inside permit zone)"),
    "cp_dongyang_w": (120.1800, 29.2600, "Dongyang west checkpoint (approx.)"),
    "cp_dongyang_n": (120.2200, 29.3000, "Dongyang north checkpoint (approx.)"),
    "cp_dongyang_e": (120.2550, 29.2700, "Dongyang east checkpoint (approx.)"),
    "yiwu_chengxi": (120.0200, 29.3000, "Chengxi industrial area (inside Yiwu, approx.)"),
    "yiwu_fotang": (120.0900, 29.2650, "Fotang industrial area (inside Yiwu, approx.)"),
    "yiwu_suxi": (120.1100, 29.3650, "Suxi industrial area (inside Yiwu, approx.)"),
    "yiwu_houzhai": (120.0700, 29.3650, "Houzhai industrial area (inside Yiwu, approx.)"),
    # Bypasses round the closed city (see data/README.md): the roads north from the G60
    # junction west of Yiwu used to cut across the city's north-west corner.
    "g60_yiwu_nw": (119.9950, 29.4000, "G60 north-west of Yiwu, outside the closed city (approx.)"),
    "yiwu_ring_nw": (
        119.9950,
        29.3850,
        "Yiwu ring road NW corner, outside the closed city (approx.)",
    ),
}
YIWU_ROADS = [
    ("jinhua", "jindong", "urban"),
    ("jinhua", "jinhua_rail", "urban"),
    ("jinhua", "lanxi", "expressway"),
    ("jindong", "j_g60_yiwu", "expressway"),
    ("jindong", "j_south", "expressway"),
    ("j_g60_yiwu", "yiwu_port", "access"),
    ("yiwu_port", "j_southwest", "provincial"),
    ("j_southwest", "j_south", "provincial"),
    ("j_g60_yiwu", "cp_yiwu_g60", "access"),
    ("cp_yiwu_g60", "yiwu_beiyuan", "urban"),
    ("yiwu_beiyuan", "yiwu_centre", "urban"),
    ("yiwu_centre", "yiwu_futian", "urban"),
    ("yiwu_centre", "yiwu_choujiang", "urban"),
    ("yiwu_choujiang", "cp_yiwu_south", "urban"),
    ("cp_yiwu_south", "j_south", "access"),
    ("yiwu_futian", "cp_yiwu_north", "urban"),
    ("cp_yiwu_north", "j_north", "access"),
    # j_g60_yiwu -> j_north went 4.5 km through the closed city: round its north-west corner.
    ("j_g60_yiwu", "yiwu_ring_nw", "provincial"),
    ("yiwu_ring_nw", "j_north", "provincial"),
    ("j_g60_yiwu", "pujiang", "provincial"),
    ("j_north", "zhuji", "expressway"),
    # The G60 north to Zhuji clipped the city's north-west corner: west of it, then north-east.
    ("j_g60_yiwu", "g60_yiwu_nw", "expressway"),
    ("g60_yiwu_nw", "zhuji", "expressway"),
    ("zhuji", "hangzhou", "expressway"),
    ("pujiang", "zhuji", "provincial"),
    ("j_north", "j_east", "provincial"),
    ("j_south", "cp_dongyang_w", "expressway"),
    ("cp_dongyang_w", "dongyang", "urban"),
    ("j_east", "cp_dongyang_n", "access"),
    ("cp_dongyang_n", "dongyang_dev", "urban"),
    ("dongyang", "dongyang_dev", "urban"),
    ("dongyang_dev", "cp_dongyang_e", "urban"),
    ("cp_dongyang_e", "shengzhou", "expressway"),
    ("j_east", "shengzhou", "expressway"),
    ("shengzhou", "ningbo", "expressway"),
    ("yiwu_chengxi", "yiwu_beiyuan", "urban"),
    ("yiwu_chengxi", "yiwu_choujiang", "urban"),
    ("yiwu_fotang", "yiwu_choujiang", "urban"),
    ("yiwu_fotang", "yiwu_centre", "urban"),
    ("yiwu_suxi", "yiwu_futian", "urban"),
    ("yiwu_suxi", "cp_yiwu_north", "urban"),
    ("yiwu_houzhai", "yiwu_beiyuan", "urban"),
    ("yiwu_houzhai", "yiwu_futian", "urban"),
]

LILING_NODES = {
    "liling": (113.4970, 27.6461, "Liling city"),
    "liling_park": (113.5250, 27.6700, "Liling economic development zone (approx.)"),
    "liling_ceramics": (113.5350, 27.6800, "porcelain plant in the park (approx.)"),
    "cp_liling_park_w": (113.5100, 27.6650, "park west checkpoint (approx.)"),
    "cp_liling_park_n": (113.5300, 27.6900, "park north checkpoint (approx.)"),
    "j_liling_n": (113.5200, 27.7200, "G60 Liling interchange (approx.)"),
    "zhuzhou": (113.1331, 27.8289, "Zhuzhou city"),
    "changsha": (112.9388, 28.2282, "Changsha"),
    "pingxiang": (113.8544, 27.6229, "Pingxiang (Jiangxi)"),
    "liling_glass": (113.5450, 27.6650, "glass works in the park (approx.)"),
    "liling_electric": (113.5200, 27.6600, "electrical porcelain plant in the park (approx.)"),
    "cp_liling_park_e": (113.5500, 27.6750, "park east checkpoint (approx.)"),
    "j_liling_e": (113.5800, 27.6600, "junction east of the park, Pingxiang road (approx.)"),
    "xiangtan": (112.9440, 27.8290, "Xiangtan"),
    "liuyang": (113.6430, 28.1630, "Liuyang"),
    # The national road from Liling to the G60 cut the park's north-west corner, and the one
    # east to Pingxiang ran 2 m from its south fence: both now pass clear of the park.
    "liling_nat_nw": (113.5050, 27.6910, "national road west of the park, outside it (approx.)"),
    "liling_nat_s": (113.5500, 27.6500, "national road south of the park, outside it (approx.)"),
}
LILING_ROADS = [
    ("liling", "cp_liling_park_w", "urban"),
    ("cp_liling_park_w", "liling_park", "urban"),
    ("liling_park", "liling_ceramics", "urban"),
    ("liling_ceramics", "cp_liling_park_n", "urban"),
    ("cp_liling_park_n", "j_liling_n", "access"),
    ("liling", "liling_nat_nw", "national"),
    ("liling_nat_nw", "j_liling_n", "national"),
    ("j_liling_n", "zhuzhou", "expressway"),
    ("zhuzhou", "changsha", "expressway"),
    ("j_liling_n", "pingxiang", "expressway"),
    ("liling_park", "liling_glass", "urban"),
    ("liling_glass", "cp_liling_park_e", "urban"),
    ("liling_park", "liling_electric", "urban"),
    ("cp_liling_park_e", "j_liling_e", "access"),
    ("j_liling_e", "pingxiang", "expressway"),
    ("liling", "liling_nat_s", "national"),
    ("liling_nat_s", "j_liling_e", "national"),
    ("xiangtan", "zhuzhou", "expressway"),
    ("liuyang", "liling", "provincial"),
]

FUQUAN_NODES = {
    "fuquan": (107.5090, 26.7039, "Fuquan city (lower confidence)"),
    "fuquan_chem": (107.5300, 26.6900, "phosphate chemicals plant (approx.)"),
    "fuquan_mine": (107.4800, 26.7300, "phosphate rock mine near Fuquan (approx.)"),
    "kaili": (107.9810, 26.5660, "Kaili city"),
    "kaili_rail": (107.9700, 26.5900, "Kaili railway station (approx.)"),
    "guiyang": (106.6300, 26.6470, "Guiyang"),
    "duyun": (107.5170, 26.2600, "Duyun"),
    "j_fuquan": (107.5600, 26.6600, "expressway junction near Fuquan (approx.)"),
    "zunyi": (106.9270, 27.7250, "Zunyi"),
    "chongqing": (106.5500, 29.5630, "Chongqing"),
    "chongqing_rail": (106.4600, 29.6100, "Chongqing freight station (approx.)"),
    "guangzhou_rail": (113.2300, 23.2000, "Guangzhou freight station (approx.)"),
    "foshan": (113.1200, 23.0200, "Foshan"),
}
FUQUAN_ROADS = [
    ("fuquan", "fuquan_chem", "urban"),
    ("fuquan_mine", "fuquan", "access"),
    ("fuquan_chem", "j_fuquan", "access"),
    ("j_fuquan", "kaili", "expressway"),
    ("kaili", "kaili_rail", "urban"),
    ("j_fuquan", "guiyang", "expressway"),
    ("j_fuquan", "duyun", "expressway"),
    ("fuquan", "guiyang", "national"),
    ("guiyang", "zunyi", "expressway"),
    ("zunyi", "chongqing", "expressway"),
    ("chongqing", "chongqing_rail", "urban"),
    ("duyun", "guangzhou_rail", "expressway"),
    ("guangzhou_rail", "foshan", "expressway"),
]
# The lockdown day's closures (our choice, after the report that checkpoints turned
# trucks back): the expressway south towards Guangdong at Duyun, and north towards
# Chongqing at Zunyi. Road freight out of the plant cannot leave the province.
FUQUAN_CLOSED = frozenset({("j_fuquan", "duyun"), ("guiyang", "zunyi")})


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out",
        type=Path,
        default=ROOT / "data",
        help="folder to write the regions into (default: data/, the bundled ones)",
    )
    out = ap.parse_args(argv).out
    write_region("yiwu", YIWU_NODES, YIWU_ROADS, NOTE, out=out)
    write_region("liling", LILING_NODES, LILING_ROADS, NOTE, out=out)
    write_region("fuquan-kaili", FUQUAN_NODES, FUQUAN_ROADS, NOTE, FUQUAN_CLOSED, out=out)


if __name__ == "__main__":
    main()
