"""A day from spreadsheets: CSV or Excel tables, one row per object, to an instance and back.

Each list of the instance is one table, named as the list is (``shipments``, ``trucks``,
``driver_pools``, ``places``, ``depots``, ``zones``, ``checkpoints``, ``relay_stations``,
``rail_stations``, ``rail_services``), with ``transit_roads`` (one row per sealed road,
its ``zone`` in a column), ``changes`` (one row per change of a zone's policy during the
day, its ``zone`` in a column) and ``day`` (one row: ``name``, ``start``, ``horizon``, and
``network_*`` / ``objective_*`` settings). A table is a CSV file or an Excel sheet named
after it; a file whose name ends in a table's name (``0812_shipments.csv``) is that table.

The columns are the instance's own field names, so that the JSON Schema documents both:
a ``[from, to]`` pair is two columns (``available_from``, ``available_to``), an amount
per capacity dimension one column per dimension (``quantity_t``, ``capacity_pallets``),
a list one cell joined by ``;`` (``permits``, ``departures``), opening windows one cell
(``07:00-20:00;21:00-23:00``), a zone's polygon one WKT cell. Times from the day's start
may be minutes or clock times (``HH:MM`` on the start's date, hours past 24 for the next
day). An empty cell takes the schema's default.

The region folder (``--region``) gives the road network (``nodes`` and ``edges`` files)
and, for a place or checkpoint whose ``lon`` and ``lat`` are empty, the position and name
of its road node; any table not given may also be kept in the region folder (the
stations and checkpoints that stay the same from day to day).

Bad input is refused with one :class:`~relayroute.errors.InputError` naming the file
(and sheet), the row as a spreadsheet numbers it (the header is row 1) and the column.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import math
import os
import re
import types
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

import pandas as pd
from pydantic import BaseModel

from relayroute.errors import InputError
from relayroute.io.atomic import write_bytes_atomic, write_text_atomic
from relayroute.io.instance import instance_from_data
from relayroute.model.instance import Instance

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

DAY = "day"
TRANSIT = "transit_roads"
# Files a region folder holds its road network in (the first of each found is used).
NODE_FILES = ("nodes.geojson", "nodes.csv")
EDGE_FILES = ("edges.geojson", "edges.csv")
# Network settings a day table may not give: the region folder does.
NETWORK_FILES = ("nodes", "edges", "graphml", "osm")
# Fields holding a time from the day's start (besides every window): clock times allowed.
CLOCK_FIELDS = frozenset({"ready", "due", "deadline", "departures", "at"})
SUFFIXES = (".csv", ".xlsx", ".xlsm")

Shape = Literal["scalar", "pair", "dims", "windows", "list", "polygon", "table", "nested"]


@dataclass(frozen=True)
class Column:
    """How one model field is laid out in a table."""

    field: str
    key: str  # the field's key in instance data (its alias)
    shape: Shape
    base: Any  # the scalar type of the cell, or of the list's items
    clock: bool
    required: bool
    default: Any
    model: Any = None  # the item model of a nested table or object


def _unwrap(tp: Any) -> Any:
    """The type under ``Annotated[...]`` and ``X | None``."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def columns(model: type[BaseModel]) -> list[Column]:
    """The table layout of a model's fields, in the model's order.

    Parameters
    ----------
    model
        An instance model type (``Shipment``, ``Truck``, … or ``Instance`` for its
        scalar fields and nested settings).

    Returns
    -------
    list of Column
        One entry per field, with its shape in a table.
    """
    out = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key.startswith("$"):  # "$schema" and the like: not data of the day
            continue
        tp = _unwrap(info.annotation)
        origin = get_origin(tp)
        item: Any = None
        base: Any
        shape: Shape
        if origin is tuple:
            shape, base = "pair", float
        elif origin is dict:
            shape, base = "dims", float
        elif origin is list:
            item = _unwrap(get_args(tp)[0])
            if get_origin(item) is tuple:
                shape, base = "windows", float
            elif get_origin(item) is list:
                shape, base = "polygon", float
            elif _is_model(item):
                shape, base = "table", None
            else:
                shape, base = "list", str if item is str else float
        elif _is_model(tp):
            shape, base, item = "nested", None, tp
        elif get_origin(tp) is Literal:
            shape, base = "scalar", str
        else:
            shape, base = "scalar", tp
        clock = shape in ("pair", "windows") or name in CLOCK_FIELDS
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        out.append(Column(name, key, shape, base, clock, info.is_required(), default, item))
    return out


def _tables() -> dict[str, type[BaseModel]]:
    """Table name -> row model: every list of objects in an instance, and sealed roads."""
    found: dict[str, type[BaseModel]] = {}
    for col in columns(Instance):
        if col.shape == "table":
            found[col.field] = col.model
            for sub in columns(col.model):
                if sub.shape == "table":
                    found[sub.field] = sub.model
    return found


TABLES = _tables()
# Which table a sub-table's rows belong to, by the parent column they name.
PARENTS = {TRANSIT: ("zones", "zone"), "changes": ("zones", "zone")}
KINDS = (DAY, *TABLES)


def table_columns(kind: str) -> list[Column]:
    """The layout of one table's fields.

    Parameters
    ----------
    kind
        A table name of :data:`KINDS` (``day`` for the instance's own fields).

    Returns
    -------
    list of Column
        Its fields, as :func:`columns` lays them out.
    """
    if kind == DAY:
        return columns(Instance)
    return columns(TABLES[kind])


# ---------------------------------------------------------------------------- reading cells


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed as a number in Excel: 101, not 101.0
    return str(value).strip()


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"a number is expected, not {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"a number is expected, got {text!r}") from None


def _whole(value: Any) -> int:
    number = _number(value)
    if not number.is_integer():
        raise ValueError(f"a whole number is expected, got {number:g}")
    return int(number)


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"true or false is expected, got {_text(value)!r}")


_CLOCK = re.compile(r"(\d{1,4}):([0-5]\d)(?::([0-5]\d))?")


@dataclass
class _Day:
    """What cells of the day's other tables are read against."""

    start: datetime | None = None

    def since_midnight(self) -> float:
        s = self.start
        return 0.0 if s is None else s.hour * 60 + s.minute + s.second / 60

    def minutes(self, value: Any) -> float:
        """Minutes from the start: a number, a clock time or a date-time."""
        if isinstance(value, datetime):
            return self._from_datetime(value)
        if isinstance(value, timedelta):  # an Excel duration cell ([h]:mm): past 24 h
            return self._after(value.total_seconds() / 60)
        if isinstance(value, time):
            return self._after(value.hour * 60 + value.minute + value.second / 60)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        text = _text(value)
        clock = _CLOCK.fullmatch(text)
        if clock:
            h, m, s = clock.groups()
            return self._after(int(h) * 60 + int(m) + int(s or 0) / 60)
        if "T" in text or " " in text:
            try:
                return self._from_datetime(datetime.fromisoformat(text))
            except ValueError:
                pass
        try:
            return _number(text)
        except ValueError:
            raise ValueError(
                f"minutes, a clock time HH:MM or a date-time is expected, got {text!r}"
            ) from None

    def _after(self, clock_minutes: float) -> float:
        if self.start is None:
            raise ValueError("a clock time needs the day's start (the day table)")
        out = clock_minutes - self.since_midnight()
        if out < 0:
            raise ValueError(f"before the day's start ({self.start.isoformat()})")
        return out

    def _from_datetime(self, value: datetime) -> float:
        if self.start is None:
            raise ValueError("a date-time needs the day's start (the day table)")
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.start.tzinfo)
        out = (value - self.start).total_seconds() / 60
        if out < 0:
            raise ValueError(f"before the day's start ({self.start.isoformat()})")
        return out

    def clock(self, minutes: float) -> Any:
        """``minutes`` from the start as a clock time where whole, else the number."""
        total = minutes + self.since_midnight()
        if not float(total).is_integer():
            return _plain(minutes)
        h, m = divmod(int(total), 60)
        return f"{h:02d}:{m:02d}"


def _plain(number: float) -> Any:
    return int(number) if float(number).is_integer() else number


def _window(text: str, day: _Day) -> list[float]:
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f"a window is from-to (07:00-20:00 or 420-1200), got {text!r}")
    return [day.minutes(p.strip()) for p in parts]


def _split(value: Any) -> list[str]:
    return [part.strip() for part in _text(value).split(";") if part.strip()]


def _polygon(value: Any) -> list[list[list[float]]]:
    import shapely
    from shapely.errors import GEOSException

    try:
        geom = shapely.from_wkt(_text(value))
    except (GEOSException, ValueError) as exc:
        raise ValueError(f"not WKT ({exc})") from None
    if geom is None or geom.geom_type != "Polygon" or geom.is_empty:
        kind = "nothing" if geom is None else geom.geom_type
        raise ValueError(f"a WKT POLYGON ((lon lat, ...)) is expected, got {kind}")
    rings = [geom.exterior, *geom.interiors]
    return [[[float(x), float(y)] for x, y, *_ in ring.coords] for ring in rings]


def _scalar(col: Column, value: Any, day: _Day) -> Any:
    if col.clock:
        return day.minutes(value)
    if col.base is bool:
        return _flag(value)
    if col.base is int:
        return _whole(value)
    if col.base is float:
        return _number(value)
    if col.base is datetime:
        return value.isoformat() if isinstance(value, datetime) else _text(value)
    return _text(value)


# ---------------------------------------------------------------------------- reading tables


@dataclass
class Source:
    """One table as read: where it came from, its rows as the cells were."""

    kind: str
    label: str  # the file, and the sheet of a workbook
    frame: pd.DataFrame


def _kind_of(name: str) -> str | None:
    stem = name.lower().strip()
    best = None
    for kind in KINDS:
        named = stem == kind or re.search(rf"(^|[-_. ]){re.escape(kind)}$", stem)
        if named and (best is None or len(kind) > len(best)):
            best = kind
    return best


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        # Every cell as text (ids stay "007"), blank lines kept so rows keep their numbers.
        return pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        raise InputError(str(path), "empty file: a header row is needed") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "not UTF-8 text (save the CSV as UTF-8)") from None
    except (pd.errors.ParserError, OSError) as exc:
        raise InputError(str(path), f"cannot read: {exc}") from None


def _read_workbook(path: Path) -> dict[str, pd.DataFrame]:
    try:
        return pd.read_excel(path, sheet_name=None, dtype=object)
    except ImportError:
        raise InputError(
            str(path), "reading Excel needs openpyxl: pip install 'openpyxl>=3.1'"
        ) from None
    except Exception as exc:  # openpyxl and zipfile raise many kinds; all mean unreadable
        raise InputError(str(path), f"cannot read the workbook: {exc}") from None


def read_sources(paths: Iterable[str | Path]) -> list[Source]:
    """Read the tables in CSV files and Excel workbooks.

    Parameters
    ----------
    paths
        CSV files (named after their table) and workbooks (each sheet named after its
        table; a workbook named after a table with no sheet so named is that table).

    Returns
    -------
    list of Source
        Each table with where it came from, in the order given.

    Raises
    ------
    InputError
        A file is missing or unreadable, or names no table.
    """
    out = []
    names = ", ".join(KINDS)
    for given in paths:
        path = Path(given)
        if not path.is_file():
            raise InputError(str(path), "no such file" if not path.exists() else "not a file")
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            raise InputError(str(path), "a table is a .csv file or an Excel .xlsx workbook")
        if suffix == ".csv":
            kind = _kind_of(path.stem)
            if kind is None:
                raise InputError(str(path), f"name the file after its table: one of {names}")
            out.append(Source(kind, str(path), _read_csv(path)))
            continue
        sheets = _read_workbook(path)
        named = [(k, s) for s in sheets if (k := _kind_of(s)) is not None]
        if not named and _kind_of(path.stem) and sheets:
            named = [(str(_kind_of(path.stem)), next(iter(sheets)))]
        if not named:
            raise InputError(str(path), f"no sheet is named after a table: one of {names}")
        for kind, sheet in named:
            out.append(Source(kind, f"{path}, sheet {sheet}", sheets[sheet]))
    return out


@dataclass
class _Provenance:
    """Where each object of the instance data came from, for error messages."""

    rows: dict[tuple[Any, ...], tuple[str, int, str]] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)

    def cell(self, label: str, row: int, column: str | None) -> str:
        return f"{label}, row {row}" + (f", column {column}" if column else "")


_TOKEN = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\[(\"(?:[^\"\\]|\\.)*\")\]")
_PATH = re.compile(r"\$(?:\.[A-Za-z_][\w-]*|\[\d+\]|\[\"(?:[^\"\\]|\\.)*\"\])*")


def _tokens(path: str) -> list[Any]:
    out: list[Any] = []
    for name, index, quoted in _TOKEN.findall(path):
        out.append(name or (int(index) if index else json.loads(quoted)))
    return out


def _column_of(kind: str, rest: list[Any]) -> str | None:
    """The column a JSON path below one object points at."""
    if not rest or not isinstance(rest[0], str):
        return None
    by_field = {c.field: c for c in table_columns(kind)} | {c.key: c for c in table_columns(kind)}
    col = by_field.get(rest[0])
    if col is None:
        return str(rest[0])
    if col.shape == "pair":
        if len(rest) > 1 and rest[1] in (0, 1):
            return f"{col.field}_{('from', 'to')[rest[1]]}"
        return f"{col.field}_from"
    if col.shape == "dims":
        return f"{col.field}_{rest[1]}" if len(rest) > 1 else f"{col.field}_<dimension>"
    if col.shape == "nested" and kind == DAY:
        return f"{col.field}_{rest[1]}" if len(rest) > 1 else col.field
    return col.field


def _translate(path: str, prov: _Provenance) -> str:
    """A JSON path of the instance data as file, row and column."""
    tokens = _tokens(path)
    if (
        len(tokens) >= 4
        and tokens[2] == TRANSIT
        and (tokens[0], tokens[1], TRANSIT, tokens[3]) in prov.rows
    ):
        label, row, _ = prov.rows[(tokens[0], tokens[1], TRANSIT, tokens[3])]
        return prov.cell(label, row, _column_of(TRANSIT, tokens[4:]))
    if len(tokens) >= 2 and (tokens[0], tokens[1]) in prov.rows:
        label, row, kind = prov.rows[(tokens[0], tokens[1])]
        return prov.cell(label, row, _column_of(kind, tokens[2:]))
    if tokens and tokens[0] in TABLES and tokens[0] in prov.tables:
        return f"{prov.tables[tokens[0]]}"
    if DAY in prov.tables:
        return prov.cell(prov.tables[DAY], 2, _column_of(DAY, tokens))
    return path


def _friendly(message: str) -> str:
    return message.replace("Field required", "empty; a value is needed")


def _check(data: dict[str, Any], prov: _Provenance) -> Instance:
    """The instance, or its first fault as file, row and column."""
    try:
        return instance_from_data(data)
    except InputError as exc:
        where = _translate(exc.where, prov)
        message = _PATH.sub(lambda m: _translate(m.group(0), prov), _friendly(exc.message))
        raise InputError(where, message) from None


def _row_values(
    source: Source, cols: list[Column], prov: _Provenance, day: _Day
) -> list[tuple[int, dict[str, Any]]]:
    """Each non-empty row of a table as instance data, with its spreadsheet row number."""
    frame = _named_columns(source)
    headers = [str(h).strip() for h in frame.columns]
    by_name: dict[str, tuple[Column, Any]] = {}
    for col in cols:
        if col.shape in ("table",):
            continue
        if col.shape == "nested":
            for sub in columns(col.model):
                if col.field == "network" and sub.field in NETWORK_FILES:
                    continue
                by_name[f"{col.field}_{sub.field}"] = (col, sub)
        elif col.shape == "pair":
            by_name[f"{col.field}_from"] = (col, 0)
            by_name[f"{col.field}_to"] = (col, 1)
        elif col.shape != "dims":
            by_name[col.field] = (col, None)
    dims = {c.field: c for c in cols if c.shape == "dims"}
    layout: list[tuple[str, Column, Any]] = []
    for header in headers:
        if header.startswith("#"):
            continue  # a note column of the planner's
        if header in by_name:
            layout.append((header, *by_name[header]))
            continue
        prefix = next(
            (f for f in dims if header.startswith(f"{f}_") and len(header) > len(f) + 1), None
        )
        if prefix is not None:
            layout.append((header, dims[prefix], header[len(prefix) + 1 :]))
            continue
        twice = re.fullmatch(r"(.+)\.\d+", header)  # pandas renames a repeated header so
        if twice and twice.group(1) in headers:
            raise InputError(
                f"{source.label}, row 1, column {twice.group(1)}", "the column is given twice"
            )
        known = [*by_name, *(f"{f}_<dimension>" for f in dims)]
        near = difflib.get_close_matches(header, known, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        if len(headers) == 1 and ";" in header:
            hint = " (the file is separated by ';': save it as comma-separated CSV)"
        raise InputError(
            f"{source.label}, row 1, column {header or '(empty)'}",
            f"unknown column{hint}; the columns of {source.kind} are {', '.join(known)}",
        )
    _required(source, cols, layout)
    rows = []
    for index, values in enumerate(frame.itertuples(index=False, name=None)):
        row = index + 2
        if all(_empty(v) for v in values):
            continue
        out: dict[str, Any] = {}
        for (header, col, part), value in zip(layout, _aligned(headers, values)):
            if _empty(value):
                continue
            try:
                _put(out, col, part, value, day)
            except ValueError as exc:
                raise InputError(prov.cell(source.label, row, header), str(exc)) from None
        rows.append((row, out))
    return rows


# pandas names a column with an empty header cell so.
_UNNAMED = re.compile(r"Unnamed: \d+")


def _named_columns(source: Source) -> pd.DataFrame:
    """The table without the unnamed, empty columns a spreadsheet leaves (trailing commas);
    an unnamed column with values is refused."""
    frame = source.frame
    keep = []
    for position, header in enumerate(frame.columns):
        unnamed = _UNNAMED.fullmatch(str(header)) is not None
        if unnamed:
            cells = frame.iloc[:, position].tolist()
            used = [i for i, v in enumerate(cells) if not _empty(v)]
            if used:
                raise InputError(
                    f"{source.label}, row {used[0] + 2}, column {position + 1} (counting from 1)",
                    "a value in a column with no header: name the column in row 1",
                )
        keep.append(not unnamed)
    return frame.loc[:, keep]


def _aligned(headers: list[str], values: tuple[Any, ...]) -> list[Any]:
    return [v for h, v in zip(headers, values) if not h.startswith("#")]


def _required(source: Source, cols: list[Column], layout: list[tuple[str, Column, Any]]) -> None:
    present = {(c.field, p if c.shape == "pair" else None) for _, c, p in layout}
    present |= {(c.field, None) for _, c, _ in layout}
    for col in cols:
        if not col.required or col.shape in ("table", "nested"):
            continue
        if col.field in ("lon", "lat") and "node" in {c.field for c in cols}:
            continue  # may come from the region's node
        needed = [(col.field, 0), (col.field, 1)] if col.shape == "pair" else [(col.field, None)]
        for want in needed:
            if want not in present:
                name = {
                    "pair": f"{col.field}_{('from', 'to')[want[1] or 0]}",
                    "dims": f"{col.field}_<dimension> (one column per dimension)",
                }.get(col.shape, col.field)
                raise InputError(f"{source.label}, row 1", f"no column {name} (it is required)")


def _put(out: dict[str, Any], col: Column, part: Any, value: Any, day: _Day) -> None:
    if col.shape == "nested":
        sub: Column = part
        out.setdefault(col.key, {})[sub.key] = _scalar(sub, value, day)
    elif col.shape == "pair":
        pair = out.setdefault(col.key, [None, None])
        pair[part] = day.minutes(value)
    elif col.shape == "dims":
        out.setdefault(col.key, {})[part] = _number(value)
    elif col.shape == "windows":
        out[col.key] = [_window(w, day) for w in _split(value)]
    elif col.shape == "list":
        items = _split(value)
        if col.base is float:
            out[col.key] = [day.minutes(v) if col.clock else _number(v) for v in items]
        else:
            out[col.key] = items
    elif col.shape == "polygon":
        out[col.key] = _polygon(value)
    else:
        out[col.key] = _scalar(col, value, day)


# ---------------------------------------------------------------------------- the region


@dataclass(frozen=True)
class Region:
    """A region folder: its road network files and each node's position and name."""

    folder: Path
    nodes_file: Path
    edges_file: Path
    nodes: dict[str, tuple[float, float, str]]


def _first(folder: Path, names: tuple[str, ...], what: str) -> Path:
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise InputError(str(folder), f"no {what} file in the region folder ({' or '.join(names)})")


def read_region(folder: str | Path) -> Region:
    """Read a region folder's road network.

    Parameters
    ----------
    folder
        A folder with ``nodes.geojson`` (or ``nodes.csv``) and ``edges.geojson`` (or
        ``edges.csv``), as in ``data/yiwu``.

    Returns
    -------
    Region
        The files and each node's lon, lat and name.

    Raises
    ------
    InputError
        The folder or a file is missing, or the network is unreadable or invalid.
    """
    from relayroute.io.roads import read_nodes_edges

    root = Path(folder)
    if not root.is_dir():
        raise InputError(str(root), "the region is a folder with nodes and edges files")
    nodes_file = _first(root, NODE_FILES, "nodes")
    edges_file = _first(root, EDGE_FILES, "edges")
    graph = read_nodes_edges(nodes_file, edges_file)  # refuses a broken network now
    names: dict[str, str] = {}
    if nodes_file.suffix == ".csv":
        table = pd.read_csv(nodes_file, dtype=str, keep_default_na=False)
    else:
        import geopandas as gpd

        table = pd.DataFrame(gpd.read_file(nodes_file))
    if "name" in table.columns:
        names = {str(i): str(n) for i, n in zip(table["id"], table["name"]) if not _empty(n)}
    nodes = {
        str(n): (float(a["lon"]), float(a["lat"]), names.get(str(n), ""))
        for n, a in graph.nodes(data=True)
    }
    return Region(root, nodes_file, edges_file, nodes)


def _from_nodes(rows: list[tuple[int, dict[str, Any]]], region: Region | None, label: str) -> None:
    """Places and checkpoints with no lon/lat stand on their road node."""
    for row, obj in rows:
        if region is not None and obj.get("node") and obj["node"] not in region.nodes:
            near = difflib.get_close_matches(str(obj["node"]), list(region.nodes), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise InputError(
                f"{label}, row {row}, column node",
                f"no road node {obj['node']!r} in {region.nodes_file}{hint}",
            )
        if "lon" in obj and "lat" in obj:
            continue
        if ("lon" in obj) != ("lat" in obj):
            gap = "lat" if "lon" in obj else "lon"
            raise InputError(
                f"{label}, row {row}, column {gap}",
                "give lon and lat both, or neither (the road node's are taken)",
            )
        node = obj.get("node") or obj.get("id")
        if region is None:
            raise InputError(
                f"{label}, row {row}, column lon",
                "empty; give lon and lat, or --region and the road node it stands on",
            )
        if node not in region.nodes:
            column = "node" if obj.get("node") else "lon"
            near = difflib.get_close_matches(str(node), list(region.nodes), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise InputError(
                f"{label}, row {row}, column {column}",
                f"no road node {node!r} in {region.nodes_file}{hint}; give lon and lat",
            )
        lon, lat, name = region.nodes[node]
        obj["lon"], obj["lat"], obj["node"] = lon, lat, node
        if not obj.get("name") and name:
            obj["name"] = name


# ---------------------------------------------------------------------------- the day


def tables_to_data(
    paths: Sequence[str | Path],
    region: str | Path | None = None,
    *,
    relative_to: str | Path | None = None,
) -> tuple[dict[str, Any], Instance]:
    """A day's instance from its tables.

    Parameters
    ----------
    paths
        The tables: CSV files and Excel workbooks (see the module's description).
    region
        A region folder: its road network (the instance's ``network``), its nodes'
        positions and names for places and checkpoints with none, and any table not in
        ``paths`` (``places.csv`` …).
    relative_to
        Write the network files relative to this folder (where the instance will be
        saved); absolute when omitted.

    Returns
    -------
    tuple of (dict, Instance)
        The instance as JSON data, and checked (schema and cross-object checks).

    Raises
    ------
    InputError
        The first fault, naming the file (and sheet), row and column.
    """
    sources = read_sources(paths)
    given: dict[str, str] = {}
    for s in sources:
        if s.kind in given:
            raise InputError(s.label, f"a second {s.kind} table (the first is {given[s.kind]})")
        given[s.kind] = s.label
    reg = read_region(region) if region is not None else None
    if reg is not None:
        extra = [
            reg.folder / f"{kind}{suffix}"
            for kind in KINDS
            if kind not in given
            for suffix in (".csv", ".xlsx")
            if (reg.folder / f"{kind}{suffix}").is_file()
        ]
        sources += read_sources(extra)
    by_kind = {s.kind: s for s in sources}
    if DAY not in by_kind:
        raise InputError(
            "tables", "no day table: give day.csv with the day's name and start (one row)"
        )
    for col in columns(Instance):
        if col.shape == "table" and col.required and col.field not in by_kind:
            where = f" (or keep one in {reg.folder})" if reg is not None else ""
            raise InputError("tables", f"no {col.field} table: give {col.field}.csv{where}")
    prov = _Provenance()
    day = _Day()
    data: dict[str, Any] = _day_row(by_kind[DAY], prov, day)
    if reg is not None:
        net = data.setdefault("network", {})
        if net.get("mode", "road") != "road":
            raise InputError(
                prov.cell(by_kind[DAY].label, 2, "network_mode"),
                "with --region the network is the region's roads: leave it empty or say road",
            )
        net["mode"] = "road"
        for key, file in (("nodes", reg.nodes_file), ("edges", reg.edges_file)):
            path = file.resolve()
            if relative_to is not None:
                path = Path(os.path.relpath(path, Path(relative_to).resolve()))
            net[key] = path.as_posix()
    elif data.get("network", {}).get("mode") == "road":
        raise InputError(
            prov.cell(by_kind[DAY].label, 2, "network_mode"),
            "road mode needs roads: give --region, the folder with the road network",
        )
    for kind, model in TABLES.items():
        source = by_kind.get(kind)
        if source is None or kind in PARENTS:
            continue
        prov.tables[kind] = source.label
        rows = _row_values(source, columns(model), prov, day)
        if {"lon", "lat", "node"} <= set(model.model_fields):
            _from_nodes(rows, reg, source.label)
        data[kind] = []
        for row, obj in rows:
            prov.rows[(kind, len(data[kind]))] = (source.label, row, kind)
            data[kind].append(obj)
    for kind, (parent, link) in PARENTS.items():
        if kind in by_kind:
            _sub_rows(data, by_kind[kind], parent, link, prov, day)
    return data, _check(data, prov)


def _day_row(source: Source, prov: _Provenance, day: _Day) -> dict[str, Any]:
    prov.tables[DAY] = source.label
    rows = _row_values(source, table_columns(DAY), prov, day)
    if len(rows) != 1:
        at = rows[1][0] if len(rows) > 1 else 2
        raise InputError(f"{source.label}, row {at}", "the day table has exactly one row")
    data = rows[0][1]
    start = data.get("start")
    if isinstance(start, str):
        with contextlib.suppress(ValueError):  # the schema says what is wrong with it
            day.start = datetime.fromisoformat(start)
    if day.start is not None and day.start.tzinfo is None:
        day.start = None  # the schema refuses a start with no offset
    return data


def _sub_rows(
    data: dict[str, Any], source: Source, parent: str, link: str, prov: _Provenance, day: _Day
) -> None:
    """Rows of a sub-table (sealed roads) into the objects (zones) they name."""
    prov.tables[source.kind] = source.label
    model = TABLES[source.kind]
    link_col = Column(link, link, "scalar", str, False, True, None)
    rows = _row_values(source, [link_col, *columns(model)], prov, day)
    owners = {obj.get("id"): i for i, obj in enumerate(data.get(parent, []))}
    for row, obj in rows:
        owner = obj.pop(link, None)
        if owner not in owners:
            raise InputError(
                f"{source.label}, row {row}, column {link}",
                f"unknown {link} {owner!r}" if owner else f"empty; name the {link}",
            )
        target = data[parent][owners[owner]].setdefault(source.kind, [])
        prov.rows[(parent, owners[owner], source.kind, len(target))] = (
            source.label,
            row,
            source.kind,
        )
        target.append(obj)


def import_tables(
    paths: Sequence[str | Path], output: str | Path, region: str | Path | None = None
) -> Instance:
    """Read a day's tables and write the instance JSON (atomically).

    Parameters
    ----------
    paths
        The tables (see :func:`tables_to_data`).
    output
        The instance JSON file to write; its network paths are relative to its folder.
    region
        The region folder (see :func:`tables_to_data`).

    Returns
    -------
    Instance
        The checked instance written.

    Raises
    ------
    InputError
        The first fault in the tables, naming file, row and column; nothing is written.
    """
    out = Path(output)
    data, inst = tables_to_data(paths, region, relative_to=out.parent)
    write_text_atomic(out, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return inst


# ---------------------------------------------------------------------------- writing tables


def _cell(col: Column, value: Any, day: _Day) -> Any:
    if value is None:
        return ""
    if col.shape == "windows":
        return ";".join(f"{day.clock(a)}-{day.clock(b)}" for a, b in value)
    if col.shape == "list":
        clash = [v for v in value if isinstance(v, str) and (";" in v or v != v.strip())]
        if clash:
            raise InputError(
                col.field, f"{clash[0]!r} cannot be one item of a ;-joined cell: rename it"
            )
        return ";".join(
            str(day.clock(v) if col.clock else _plain(v)) if col.base is float else v for v in value
        )
    if col.shape == "polygon":
        import shapely

        poly = shapely.Polygon(value[0], value[1:])
        return shapely.to_wkt(poly, rounding_precision=-1)
    if col.clock:
        return day.clock(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _plain(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _frame(
    objs: list[BaseModel],
    cols: list[Column],
    day: _Day,
    region: Region | None,
    skip: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Rows of ``objs``; a column only where the schema needs it or a row is not the
    default (an empty cell is the default when read back)."""
    records: list[dict[str, Any]] = []
    keep: dict[str, tuple[int, int]] = {}  # header -> (field position, first seen): order

    def put(rec: dict[str, Any], header: str, value: Any, position: int, needed: bool) -> None:
        rec[header] = value
        if needed and header not in keep:
            keep[header] = (position, len(keep))

    for obj in objs:
        rec: dict[str, Any] = {}
        for position, col in enumerate(cols):
            value = getattr(obj, col.field)
            if col.shape == "table" or col.field in skip:
                continue
            if col.shape == "pair":
                put(rec, f"{col.field}_from", day.clock(value[0]), position, True)
                put(rec, f"{col.field}_to", day.clock(value[1]), position, True)
            elif col.shape == "dims":
                for dim, amount in value.items():
                    put(rec, f"{col.field}_{dim}", _plain(amount), position, True)
            elif col.shape == "nested":
                for sub in columns(col.model):
                    if f"{col.field}_{sub.field}" in skip or (
                        col.field == "network" and sub.field in NETWORK_FILES
                    ):
                        continue
                    sub_value = getattr(value, sub.field)
                    header = f"{col.field}_{sub.field}"
                    put(rec, header, _cell(sub, sub_value, day), position, sub_value != sub.default)
            else:
                needed = col.required or value != col.default
                put(rec, col.field, _cell(col, value, day), position, needed)
        if region is not None and {"lon", "lat", "node"} <= rec.keys():
            node = region.nodes.get(str(rec["node"]))
            same = node is not None and node[:2] == (rec["lon"], rec["lat"])
            if same and node is not None and rec.get("name", "") == node[2]:
                rec["lon"] = rec["lat"] = rec["name"] = ""  # the region's node says them
        records.append(rec)
    headers = sorted(keep, key=keep.__getitem__)
    rows = [[rec.get(h, "") for h in headers] for rec in records]
    frame = pd.DataFrame(rows, columns=headers, dtype=object)
    # lon/lat/name that the region says for every row need no column at all.
    return frame.loc[:, [h for h in headers if (frame[h] != "").any()]]


def instance_tables(
    instance: Instance, region: str | Path | None = None
) -> dict[str, pd.DataFrame]:
    """An instance as the tables :func:`tables_to_data` reads.

    Parameters
    ----------
    instance
        The instance.
    region
        A region folder: a place or checkpoint standing on its road node, with the
        node's name, gets empty lon, lat and name (the region supplies them).

    Returns
    -------
    dict of str to DataFrame
        Table name -> its rows (empty lists left out); a column is written where the
        schema needs it or some row differs from the default.
    """
    reg = read_region(region) if region is not None else None
    day = _Day(instance.start)
    # With a region, the network is the region's roads: no network settings of its own.
    skip = frozenset({"network_mode"}) if reg is not None else frozenset()
    out = {DAY: _frame([instance], columns(Instance), day, None, skip)}
    for kind in TABLES:
        if kind in PARENTS:
            continue
        objs = getattr(instance, kind)
        if objs:
            out[kind] = _frame(objs, columns(TABLES[kind]), day, reg)
    for kind, (parent, link) in PARENTS.items():
        rows = []
        for owner in getattr(instance, parent):
            part = _frame(getattr(owner, kind), columns(TABLES[kind]), day, None)
            part.insert(0, link, owner.id)
            rows.append(part)
        rows = [r for r in rows if len(r)]
        if rows:
            out[kind] = pd.concat(rows, ignore_index=True).fillna("")
    return out


def write_tables(
    instance: Instance, output: str | Path, region: str | Path | None = None
) -> list[Path]:
    """Write an instance's tables: a folder of CSV files, or one ``.xlsx`` workbook.

    Parameters
    ----------
    instance
        The instance.
    output
        A folder (one ``<table>.csv`` each) or a workbook path ending in ``.xlsx``.
    region
        See :func:`instance_tables`.

    Returns
    -------
    list of Path
        The files written (each atomically).
    """
    tables = instance_tables(instance, region)
    out = Path(output)
    if out.suffix.lower() == ".xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            for kind, frame in tables.items():
                frame.to_excel(writer, sheet_name=kind, index=False)
        write_bytes_atomic(out, buffer.getvalue())
        return [out]
    written = []
    for kind, frame in tables.items():
        path = out / f"{kind}.csv"
        write_text_atomic(path, frame.to_csv(index=False, lineterminator="\n"))
        written.append(path)
    return written


__all__ = [
    "KINDS",
    "TABLES",
    "Column",
    "Region",
    "Source",
    "columns",
    "import_tables",
    "instance_tables",
    "read_region",
    "read_sources",
    "table_columns",
    "tables_to_data",
    "write_tables",
]
