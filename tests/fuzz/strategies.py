"""Hypothesis strategies for the fuzz campaign (issue 19): valid instances and corruptions.

:func:`valid_instances` builds small instances that read, build and solve, in the style of
``tests/data/small-straight.json`` (straight-line, a closed city and a permit park),
``instances/yiwu-demo.json`` (road mode on the bundled Yiwu network) and the literature
benchmarks (euclidean). :func:`cases` corrupts them, one to three times: wrong types,
missing and unknown fields, dangling ids, huge, non-finite, negative and zero numbers,
booleans and strings as numbers, times past the horizon, degenerate polygons, unicode and
duplicate ids, deep nesting, hostile network paths, corrupted network files and raw-text
damage. A :class:`Case` is what a user could hand the ``solve`` command: the instance
file's bytes, and any files beside it.

The CI tests (``tests/fuzz/test_fuzz.py``) draw from these with a fixed seed; the long
campaign (``benchmarks/fuzz.py``) draws tens of thousands.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
SMALL: dict[str, Any] = json.loads((ROOT / "tests" / "data" / "small-straight.json").read_text())
DEMO: dict[str, Any] = json.loads((ROOT / "instances" / "yiwu-demo.json").read_text())
YIWU_NODES = ROOT / "data" / "yiwu" / "nodes.geojson"
YIWU_EDGES = ROOT / "data" / "yiwu" / "edges.geojson"

# Deep nesting is written into the text, not built as Python data: a leaf set to this
# marker and a depth becomes [[[...]]] of that depth when the case is serialised.
DEEP = "\x00deep:"

# Network paths a hostile or careless instance might name (relative to the instance file).
HOSTILE_PATHS = [
    "/dev/zero",
    "/dev/null",
    "/dev/urandom",
    "../../etc/passwd",
    "../../../../../../etc/shadow",
    ".",
    "/",
    "missing.geojson",
    "",
    "case.json",
    "/proc/self/status",
    "nodes.geojson\x00.csv",
    "a" * 5000,
    "x/" * 2000 + "n.csv",
    "~/nodes.geojson",
    "nodes.csv",  # an empty file beside the instance
]

Json = Any
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Case:
    """One fuzz input: an instance file and the files beside it.

    Attributes
    ----------
    text
        The instance file's bytes.
    mode
        Network mode of the valid instance it came from.
    faults
        Names of the corruptions applied, in order; empty for a valid instance.
    files
        Other files to write beside the instance (network tables), by name.
    """

    text: bytes
    mode: str
    faults: tuple[str, ...] = ()
    files: dict[str, bytes] = field(default_factory=dict)

    def write(self, folder: Path, name: str = "case.json") -> Path:
        """Write the instance (as ``name``) and its files into ``folder``; the instance path."""
        folder.mkdir(parents=True, exist_ok=True)
        for fname, data in self.files.items():
            (folder / fname).write_bytes(data)
        if "nodes.csv" not in self.files:
            (folder / "nodes.csv").write_bytes(b"")  # the empty file HOSTILE_PATHS names
        path = folder / name
        path.write_bytes(self.text)
        return path


def serialise(data: Json) -> bytes:
    """JSON bytes of ``data`` (Infinity and NaN as Python writes them), deep markers expanded.

    Text is written as UTF-8, or with ``\\u`` escapes where it holds lone surrogates
    (which UTF-8 cannot encode but JSON escapes can).
    """
    text = json.dumps(data, indent=1, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, indent=1)
    marker = json.dumps(DEEP)[:-1]  # the opening quote and the escaped marker
    while marker in text:
        start = text.index(marker)
        end = text.index('"', start + 1)
        depth = int(text[start + len(marker) : end])
        text = text[:start] + "[" * depth + "]" * depth + text[end + 1 :]
    return text.encode("utf-8")


# --- valid instances ----------------------------------------------------------------------


def _window(draw: st.DrawFn, lo: int, hi: int, min_len: int = 0) -> list[int]:
    a = draw(st.integers(lo, hi - min_len))
    return [a, draw(st.integers(a + min_len, hi))]


def _shipments(
    draw: st.DrawFn, places: list[str], dims: dict[str, float], horizon: int, n: int
) -> list[dict[str, Any]]:
    out = []
    for k in range(n):
        a, b = draw(st.lists(st.sampled_from(places), min_size=2, max_size=2, unique=True))
        ready = draw(st.integers(0, horizon - 60))
        ship: dict[str, Any] = {
            "id": f"S{k}",
            "origin": a,
            "destination": b,
            "quantity": {d: draw(st.integers(0, int(cap))) for d, cap in dims.items()},
            "ready": ready,
            "due": draw(st.integers(ready, horizon)),
        }
        if draw(st.booleans()):
            ship["deadline"] = draw(st.integers(ship["due"], horizon))
        if draw(st.booleans()):
            ship["priority"] = draw(st.sampled_from([0.5, 1, 2, 5, 100]))
        if draw(st.booleans()):
            ship["pickup_minutes"] = draw(st.integers(0, 30))
            ship["delivery_minutes"] = draw(st.floats(0, 30, allow_nan=False))
        out.append(ship)
    return out


@st.composite
def euclidean_instances(draw: st.DrawFn) -> dict[str, Any]:
    """A literature-style instance: x/y places, one or two depots, no zones."""
    horizon = draw(st.integers(300, 2000))
    n = draw(st.integers(3, 9))
    coord = st.integers(0, 100) | st.floats(0, 100, allow_nan=False)
    places: list[dict[str, Any]] = [
        {"id": f"n{i}", "lon": draw(coord), "lat": draw(coord)}
        | ({"hours": [_window(draw, 0, horizon, 30)]} if draw(st.booleans()) else {})
        for i in range(n)
    ]
    depots = [{"id": "D0", "place": "n0"}]
    if draw(st.booleans()):
        depots.append({"id": "D1", "place": "n1"})
    cap = draw(st.integers(5, 50))
    trucks = [
        {
            "id": f"v{k}",
            "depot": draw(st.sampled_from([d["id"] for d in depots])),
            "capacity": {"load": cap},
            "available": [0, horizon],
        }
        for k in range(draw(st.integers(1, 4)))
    ]
    data: dict[str, Any] = {
        "name": "fuzz-euclid",
        "start": "2022-08-12T00:00:00+08:00",
        "horizon": horizon,
        "network": {"mode": "euclidean", "speed": draw(st.sampled_from([0.5, 1, 2]))},
        "places": places,
        "depots": depots,
        "trucks": trucks,
        "shipments": _shipments(
            draw, [p["id"] for p in places], {"load": cap}, horizon, draw(st.integers(1, 7))
        ),
    }
    if draw(st.booleans()):  # a transload-only station, as the PDPT benchmarks have
        data["relay_stations"] = [
            {
                "id": "tr",
                "place": f"n{n - 1}",
                "driver_swap": False,
                "transload": True,
                "transload_minutes": draw(st.integers(0, 60)),
                "bays": draw(st.integers(1, 3)),
            }
        ]
    if draw(st.booleans()):
        data["objective"] = {"unserved": 1000, "delay": 0, "km": 1, "truck": 0}
    return data


# Points west of the city, east of the park, inside the permit park or the closed city.
_LON = st.one_of(
    st.floats(119.80, 119.98),
    st.floats(120.28, 120.40),
    st.floats(120.21, 120.25),
    st.floats(120.02, 120.08),
)


@st.composite
def straight_instances(draw: st.DrawFn) -> dict[str, Any]:
    """``small-straight`` with random places, shipments, hours and drivers."""
    data = copy.deepcopy(SMALL)
    for i in range(draw(st.integers(0, 4))):
        x = draw(_LON)
        y = draw(st.floats(29.10, 29.50))
        if 120.21 <= x <= 120.25:
            y = draw(st.floats(29.31, 29.35))
        if 120.02 <= x <= 120.08:
            y = draw(st.floats(29.32, 29.38))
        hours = draw(st.sampled_from([[], [[420, 1200]], [[360, 600], [700, 1200]]]))
        data["places"].append({"id": f"r{i}", "lon": x, "lat": y, "hours": hours})
    ids = [p["id"] for p in data["places"]]
    data["shipments"] = _shipments(draw, ids, {"t": 10}, 1440, draw(st.integers(1, 6)))
    for cp in data["checkpoints"]:
        cp["hours"] = draw(st.sampled_from([[], [[360, 1000]], [[0, 480], [600, 1440]]]))
        cp["throughput_per_hour"] = draw(st.sampled_from([None, 1, 3]))
    station = data["relay_stations"][0]
    station["bays"] = draw(st.integers(1, 2))
    station["handover_minutes"] = draw(st.sampled_from([5, 15, 30]))
    station["transload"] = draw(st.booleans())
    loop = data["driver_pools"][1]
    loop["count"] = draw(st.integers(1, 3))
    loop["shift"] = draw(st.sampled_from([[360, 1320], [360, 800], [700, 1320]]))
    loop["max_duty"] = draw(st.sampled_from([120, 300, 600]))
    data["trucks"] = data["trucks"][: draw(st.integers(1, 3))]
    if draw(st.booleans()):
        data["rail_stations"] = [{"id": "RA", "place": "sup1"}, {"id": "RB", "place": "cust2"}]
        data["rail_services"] = [
            {
                "id": "K",
                "origin": "RA",
                "destination": "RB",
                "departures": sorted(
                    draw(st.lists(st.integers(400, 1000), min_size=1, max_size=3))
                ),
                "duration": draw(st.integers(20, 120)),
                "capacity": {"t": draw(st.integers(1, 100))},
            }
        ]
    return data


@st.composite
def road_instances(draw: st.DrawFn) -> dict[str, Any]:
    """``yiwu-demo`` on the bundled road network, a few of its shipments and trucks."""
    data = copy.deepcopy(DEMO)
    data["network"] = {"mode": "road", "nodes": str(YIWU_NODES), "edges": str(YIWU_EDGES)}
    picks = draw(st.lists(st.sampled_from(range(len(DEMO["shipments"]))), min_size=1, max_size=8))
    data["shipments"] = [data["shipments"][i] for i in sorted(set(picks))]
    for sh in data["shipments"]:
        if draw(st.booleans()):
            sh["ready"] = draw(st.integers(300, 900))
            sh["due"] = draw(st.integers(sh["ready"], 1440))
            sh.pop("deadline", None)
    data["trucks"] = data["trucks"][: draw(st.integers(1, 6))]
    if draw(st.booleans()):  # a place without a node, snapped to the nearest
        node = draw(st.sampled_from([p for p in data["places"] if p["id"] in ("jinhua", "lanxi")]))
        data["places"].append(
            {"id": "extra", "lon": node["lon"] + 0.005, "lat": node["lat"] - 0.005}
        )
    for cp in data["checkpoints"]:
        if draw(st.integers(0, 4)) == 0:
            cp["throughput_per_hour"] = draw(st.integers(1, 4))
    return data


def valid_instances(modes: tuple[str, ...] = ("euclidean", "straight_line", "road")) -> Any:
    """A strategy of ``(mode, data)``: valid instances in the given network modes."""
    makers = {
        "euclidean": euclidean_instances,
        "straight_line": straight_instances,
        "road": road_instances,
    }

    def tagged(mode: str) -> Any:
        return makers[mode]().map(lambda data: (mode, data))

    return st.one_of(*(tagged(m) for m in modes))


# --- where to corrupt ---------------------------------------------------------------------


def locations(data: Json, loc: Loc = ()) -> list[Loc]:
    """Every location in ``data``: each dict value and list item, nested, root excluded."""
    out: list[Loc] = []
    if isinstance(data, dict):
        for k, v in data.items():
            out.append((*loc, k))
            out += locations(v, (*loc, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.append((*loc, i))
            out += locations(v, (*loc, i))
    return out


def get(data: Json, loc: Loc) -> Json:
    """The value at ``loc``."""
    for part in loc:
        data = data[part]
    return data


def put(data: Json, loc: Loc, value: Json) -> None:
    """Set the value at ``loc``."""
    get(data, loc[:-1])[loc[-1]] = value


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


REF_KEYS = {"origin", "destination", "depot", "end_depot", "zone", "place", "station"}
REF_KEYS |= {"driver_pool"}
TIME_KEYS = {"ready", "due", "deadline", "available", "shift", "hours", "departures"}


def _pick(draw: st.DrawFn, data: Json, keep: Any) -> Loc | None:
    locs = [loc for loc in locations(data) if keep(loc, get(data, loc))]
    return draw(st.sampled_from(locs)) if locs else None


def _numbers(data: Json) -> Any:
    return lambda loc, v: _is_number(v)


# --- corruptions: each changes ``data`` in place, or returns the replacement --------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
_OTHER = st.one_of(
    _SCALARS,
    st.lists(_SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=5), _SCALARS, max_size=3),
)


def _wrong_type(draw: st.DrawFn, data: Json) -> None:
    loc = _pick(draw, data, lambda loc, v: True)
    if loc is not None:
        put(data, loc, draw(_OTHER))
    else:
        data["places"] = draw(_OTHER)


def _missing(draw: st.DrawFn, data: Json) -> None:
    loc = _pick(draw, data, lambda loc, v: isinstance(loc[-1], str))
    if loc is not None:
        del get(data, loc[:-1])[loc[-1]]


def _unknown_field(draw: st.DrawFn, data: Json) -> None:
    dicts = [()] + [loc for loc in locations(data) if isinstance(get(data, loc), dict)]
    loc = draw(st.sampled_from(dicts))
    key = draw(st.sampled_from(["redy", "colour", "", "ïd", "id ", "__proto__"]) | st.text())
    get(data, loc)[key] = draw(_SCALARS)


_IDS = st.one_of(
    st.text(min_size=1, max_size=12),
    st.sampled_from(
        [
            *("工厂", "Ünïcödé", "\u202eRTL", "a\x00b", "\ud800", "[/x]", "[bold]x", "$.x"),
            *("x\ny", "🚚", " ", "id with spaces", "a" * 10_000, "S0", "0"),
        ]
    ),
)


def _dangling(draw: st.DrawFn, data: Json) -> None:
    loc = _pick(
        draw,
        data,
        lambda loc, v: (loc[-1] in REF_KEYS or "permits" in loc) and isinstance(v, str),
    )
    if loc is not None:
        other = [get(data, x) for x in locations(data) if x[-1] == "id"]
        odd = ["atlantis", "", " ", "S0", "T01", "[/x]", "[bold]x[/bold]", "\x1b[31mred", "%s"]
        put(data, loc, draw(st.sampled_from([*odd, *other[:20]]) | _IDS))


def _number(values: Any) -> Any:
    def change(draw: st.DrawFn, data: Json) -> None:
        loc = _pick(draw, data, _numbers(data))
        if loc is not None:
            old = get(data, loc)
            put(data, loc, draw(values(old)))

    return change


_HUGE = st.sampled_from(
    [
        *(1e300, -1e300, 1e30, 1e16, 9.3e18, 2**63, 2**64, 10**40, 1e10, 1e9 + 1, 1e7 + 1),
        *(1.7976931348623157e308, 5e-324, 4503599627370497.0),
    ]
)
_huge = _number(lambda old: _HUGE)
_non_finite = _number(lambda old: st.sampled_from([math.inf, -math.inf, math.nan]))
_negative = _number(lambda old: st.sampled_from([-1, -1e-12, -0.0, -(abs(old) + 1), -1e6]))
_zero = _number(lambda old: st.sampled_from([0, 0.0, 1e-300]))
_not_a_number = _number(
    lambda old: st.sampled_from([True, False, str(old), "12", "1e3", "", " 12 ", "NaN"])
)


def _past_horizon(draw: st.DrawFn, data: Json) -> None:
    horizon = data.get("horizon", 1440) if isinstance(data, dict) else 1440
    horizon = horizon if _is_number(horizon) else 1440
    if draw(st.booleans()):
        loc = _pick(
            draw, data, lambda loc, v: _is_number(v) and bool(TIME_KEYS & set(map(str, loc)))
        )
        if loc is not None:
            put(data, loc, horizon + draw(st.sampled_from([1, 60, 1440, 10_000])))
            return
    data["horizon"] = draw(st.sampled_from([1, 30, 60, 300]))


# Degenerate GeoJSON polygons: the name says how each is wrong.
BAD_POLYGONS: dict[str, Json] = {
    "zero area": [[[120.0, 29.3], [120.05, 29.3], [120.1, 29.3], [120.0, 29.3]]],
    "bowtie": [[[120.0, 29.3], [120.1, 29.4], [120.1, 29.3], [120.0, 29.4], [120.0, 29.3]]],
    "two points": [[[120.0, 29.3], [120.0, 29.3]]],
    "three points": [[[120.0, 29.3], [120.1, 29.3], [120.0, 29.3]]],
    "unclosed": [[[120.0, 29.3], [120.1, 29.3], [120.1, 29.4], [120.0, 29.4]]],
    "empty ring": [[]],
    "no ring": [],
    "one point": [[[120.0, 29.3]]],
    "same point": [[[120.0, 29.3]] * 5],
    "hole outside": [
        [[120.0, 29.3], [120.1, 29.3], [120.1, 29.4], [120.0, 29.4], [120.0, 29.3]],
        [[121.0, 29.3], [121.1, 29.3], [121.1, 29.4], [121.0, 29.3]],
    ],
    "hole is shell": [
        [[120.0, 29.3], [120.1, 29.3], [120.1, 29.4], [120.0, 29.4], [120.0, 29.3]],
        [[120.0, 29.3], [120.1, 29.3], [120.1, 29.4], [120.0, 29.4], [120.0, 29.3]],
    ],
    "huge coordinates": [[[1e300, 1e300], [-1e300, 1e300], [0, -1e300], [1e300, 1e300]]],
    "three coordinates": [[[120.0, 29.3, 5], [120.1, 29.3, 5], [120.1, 29.4, 5], [120.0, 29.3, 5]]],
    "tiny": [[[120.0, 29.3], [120.0 + 1e-12, 29.3], [120.0, 29.3 + 1e-12], [120.0, 29.3]]],
    "whole world": [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]],
    "antimeridian": [[[179.0, 29.3], [-179.0, 29.3], [-179.0, 29.4], [179.0, 29.4], [179.0, 29.3]]],
    "spike": [
        [[120.0, 29.3], [120.1, 29.3], [120.2, 29.3], [120.1, 29.3], [120.1, 29.4], [120.0, 29.3]]
    ],
}


def _polygon(draw: st.DrawFn, data: Json) -> None:
    poly = copy.deepcopy(draw(st.sampled_from(list(BAD_POLYGONS.values()))))
    zones = data.get("zones") if isinstance(data, dict) else None
    if isinstance(zones, list) and zones and isinstance(zones[0], dict):
        draw(st.sampled_from(zones))["polygon"] = poly
    elif isinstance(data, dict):
        data["zones"] = [{"id": "z", "policy": "permit", "polygon": poly}]


def _unicode_id(draw: st.DrawFn, data: Json) -> None:
    """An id becomes unicode: everywhere it is used (still valid), or only at its definition."""
    loc = _pick(draw, data, lambda loc, v: loc[-1] == "id" and isinstance(v, str))
    if loc is None:
        return
    old, new = get(data, loc), draw(_IDS)
    if draw(st.booleans()):
        for x in locations(data):
            if get(data, x) == old and (x[-1] in REF_KEYS or x[-1] == "id" or "permits" in x):
                put(data, x, new)
    put(data, loc, new)


def _duplicate_id(draw: st.DrawFn, data: Json) -> None:
    lists = [
        loc
        for loc in locations(data)
        if isinstance(get(data, loc), list)
        and sum(isinstance(o, dict) and "id" in o for o in get(data, loc)) >= 2
    ]
    if lists:
        items = [o for o in get(data, draw(st.sampled_from(lists))) if isinstance(o, dict)]
        a, b = draw(st.lists(st.sampled_from(range(len(items))), min_size=2, max_size=2))
        items[a]["id"] = items[b].get("id")


def _deep(draw: st.DrawFn, data: Json) -> None:
    loc = _pick(draw, data, lambda loc, v: True)
    depth = draw(st.sampled_from([10, 100, 500, 990, 1000, 5000, 100_000]))
    if loc is not None:
        put(data, loc, f"{DEEP}{depth}")


def _hostile_network(draw: st.DrawFn, data: Json) -> None:
    if not isinstance(data, dict):
        return
    key = draw(st.sampled_from(["nodes", "edges", "graphml", "osm", "both"]))
    path = draw(st.sampled_from(HOSTILE_PATHS))
    net = {"mode": "road", "nodes": str(YIWU_NODES), "edges": str(YIWU_EDGES)}
    if key == "both":
        net.update(nodes=path, edges=path)
    else:
        net[key] = path
    data["network"] = net


def _lonlat(draw: st.DrawFn, data: Json) -> None:
    loc = _pick(draw, data, lambda loc, v: loc[-1] in ("lon", "lat") and _is_number(v))
    if loc is not None:
        put(data, loc, draw(st.sampled_from([181, -181, 91, -90.0001, 360, 1e6, 0, -0.0])))


def _inverted(draw: st.DrawFn, data: Json) -> None:
    loc = _pick(
        draw,
        data,
        lambda loc, v: isinstance(v, list) and len(v) == 2 and all(map(_is_number, v)),
    )
    if loc is not None:
        a, b = get(data, loc)
        put(data, loc, [b + 1, a])


def _empty_list(draw: st.DrawFn, data: Json) -> None:
    loc = _pick(draw, data, lambda loc, v: isinstance(v, list) and bool(v))
    if loc is not None:
        put(data, loc, [])


def _mode_switch(draw: st.DrawFn, data: Json) -> None:
    if isinstance(data, dict):
        mode = draw(st.sampled_from(["road", "straight_line", "euclidean", "air", None]))
        net = data.get("network")
        net = dict(net) if isinstance(net, dict) else {}
        net["mode"] = mode
        data["network"] = net


CORRUPTIONS = {
    "wrong type": _wrong_type,
    "missing field": _missing,
    "unknown field": _unknown_field,
    "dangling id": _dangling,
    "huge number": _huge,
    "non-finite number": _non_finite,
    "negative number": _negative,
    "zero": _zero,
    "boolean or string as number": _not_a_number,
    "past the horizon": _past_horizon,
    "degenerate polygon": _polygon,
    "unicode id": _unicode_id,
    "duplicate id": _duplicate_id,
    "deep nesting": _deep,
    "hostile network path": _hostile_network,
    "lon/lat out of range": _lonlat,
    "inverted window": _inverted,
    "empty list": _empty_list,
    "network mode": _mode_switch,
}


# --- raw text and network files -----------------------------------------------------------

_NUMBER_TOKEN = re.compile(rb"[:\[,]\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")


def _text_damage(draw: st.DrawFn, text: bytes) -> tuple[str, bytes]:
    how = draw(
        st.sampled_from(
            ["truncate", "flip", "not utf-8", "bom", "empty", "not an object", "constant", "nul"]
        )
    )
    if how == "truncate":
        return how, text[: draw(st.integers(0, max(0, len(text) - 1)))]
    if how == "flip":
        i = draw(st.integers(0, len(text) - 1))
        return how, text[:i] + bytes([draw(st.integers(0, 255))]) + text[i + 1 :]
    if how == "not utf-8":
        i = draw(st.integers(0, len(text)))
        return how, text[:i] + b"\xff\xfe\xc3" + text[i:]
    if how == "bom":
        return how, b"\xef\xbb\xbf" + text
    if how == "empty":
        return how, draw(st.sampled_from([b"", b" ", b"\n"]))
    if how == "not an object":
        return how, draw(st.sampled_from([b"[]", b"null", b"42", b'"x"', b"true", b"[{}]"]))
    if how == "constant":
        token = draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999"]))
        numbers = list(_NUMBER_TOKEN.finditer(text))
        if not numbers:
            return how, token
        m = draw(st.sampled_from(numbers))
        return how, text[: m.start(1)] + token + text[m.end(1) :]
    return how, text.replace(b'"', b'"\x00', 1)


def _edges_csv(draw: st.DrawFn) -> dict[str, bytes]:
    """The Yiwu network as CSV tables, one value or column damaged."""
    nodes = json.loads(YIWU_NODES.read_text())["features"]
    edges = json.loads(YIWU_EDGES.read_text())["features"]
    node_rows = [[f["properties"]["id"], *map(str, f["geometry"]["coordinates"])] for f in nodes]
    edge_rows = [
        [str(e["properties"][k]) for k in ("from", "to", "km", "minutes", "closed", "oneway")]
        for e in edges
    ]
    table = draw(st.sampled_from(["nodes", "edges"]))
    rows = node_rows if table == "nodes" else edge_rows
    r = draw(st.integers(0, len(rows) - 1))
    c = draw(st.integers(0, len(rows[r]) - 1))
    rows[r][c] = draw(
        st.sampled_from(["", "nan", "inf", "-1", "-inf", "1e308", "abc", "true", "0", "ünï"])
    )
    if draw(st.integers(0, 5)) == 0:
        rows.append(rows[r][:-1])  # a short row
    head_n = "id,lon,lat" if draw(st.integers(0, 9)) else "id,lon"
    head_e = "from,to,km,minutes,closed,oneway" if draw(st.integers(0, 9)) else "from,to,km"
    return {
        "nodes.csv": ("\n".join([head_n, *(",".join(x) for x in node_rows)]) + "\n").encode(),
        "edges.csv": ("\n".join([head_e, *(",".join(x) for x in edge_rows)]) + "\n").encode(),
    }


# --- cases --------------------------------------------------------------------------------


@st.composite
def cases(
    draw: st.DrawFn,
    modes: tuple[str, ...] = ("euclidean", "straight_line", "road"),
    max_faults: int = 3,
    valid_share: float = 0.15,
) -> Case:
    """A fuzz case: a valid instance with 0 to ``max_faults`` corruptions.

    Parameters
    ----------
    draw
        Hypothesis' draw.
    modes
        Network modes of the valid instances corrupted.
    max_faults
        Most corruptions applied to one instance.
    valid_share
        About this share of the cases is left valid.

    Returns
    -------
    Case
        The instance bytes, its mode, the corruptions' names and files beside it.
    """
    mode, data = draw(valid_instances(modes))
    if draw(st.integers(0, 999)) >= 1000 - valid_share * 1000:  # hypothesis favours 0
        return Case(serialise(data), mode)
    faults: list[str] = []
    files: dict[str, bytes] = {}
    names = [*CORRUPTIONS, "raw text"]
    if mode != "euclidean":  # x/y places are no lon/lat: a road network never gets read
        names.append("network file")
    else:
        names.remove("hostile network path")
    for _ in range(draw(st.integers(1, max_faults))):
        name = draw(st.sampled_from(names))
        faults.append(name)
        if name == "network file" and isinstance(data, dict):
            files = _edges_csv(draw)
            data["network"] = {"mode": "road", "nodes": "nodes.csv", "edges": "edges.csv"}
        elif name in CORRUPTIONS and isinstance(data, dict):
            CORRUPTIONS[name](draw, data)
    text = serialise(data)
    if "raw text" in faults:
        how, text = _text_damage(draw, text)
        faults[faults.index("raw text")] = f"raw text ({how})"
    return Case(text, mode, tuple(faults), files)
