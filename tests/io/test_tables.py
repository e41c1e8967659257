"""A day from spreadsheets: `relayroute import` and the tables written from an instance."""

from __future__ import annotations

import shutil
import tempfile
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from hypothesis import given, settings

from relayroute.cli import main
from relayroute.errors import InputError
from relayroute.io.instance import LoadedInstance, instance_from_data, read_instance
from relayroute.io.tables import (
    KINDS,
    NETWORK_FILES,
    TRANSIT,
    columns,
    import_tables,
    instance_tables,
    table_columns,
    tables_to_data,
    write_tables,
)
from relayroute.solve import solve
from relayroute.validate import validate

from ..conftest import QUICK, ROOT
from ..fuzz.strategies import valid_instances

if TYPE_CHECKING:
    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan

EXAMPLE = ROOT / "examples" / "yiwu-demo"
REGION = ROOT / "data" / "yiwu"


def _tables(folder: Path = EXAMPLE) -> list[Path]:
    return sorted(folder.glob("*.csv"))


def _same_day(a: Instance, base_a: Path, b: Instance, base_b: Path) -> None:
    """``a`` and ``b`` are the same day: every field equal, the network files the same
    files (each written relative to its own instance's folder)."""
    da, db = a.model_dump(), b.model_dump()
    for data, base in ((da, base_a), (db, base_b)):
        for key in ("nodes", "edges"):
            data["network"][key] = (base / data["network"][key]).resolve()
    assert da == db


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    """A copy of the example tables, to spoil one cell of."""
    folder = tmp_path / "tables"
    shutil.copytree(EXAMPLE, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_example_tables_rebuild_the_demo(tmp_path: Path, demo: LoadedInstance) -> None:
    """`import` of examples/yiwu-demo/*.csv on data/yiwu is instances/yiwu-demo.json,
    field for field (places and checkpoints take lon, lat and name from the region's nodes)."""
    out = tmp_path / "day.json"
    assert main(["import", *map(str, _tables()), "--region", str(REGION), "-o", str(out)]) == 0
    loaded = read_instance(out)
    _same_day(loaded.instance, loaded.base, demo.instance, demo.base)
    places = pd.read_csv(EXAMPLE / "places.csv", dtype=str, keep_default_na=False)
    assert "lon" not in places.columns  # the region did supply them


def test_example_tables_are_the_demo_written_as_tables(
    tmp_path: Path, demo: LoadedInstance
) -> None:
    """examples/yiwu-demo is what write_tables makes of the demo today: the example does
    not drift from the instance it stands for."""
    written = write_tables(demo.instance, tmp_path / "t", region=REGION)
    assert sorted(p.name for p in written) == sorted(p.name for p in _tables())
    for path in written:
        assert path.read_text() == (EXAMPLE / path.name).read_text(), path.name


def test_imported_day_gives_the_same_plan(
    tmp_path: Path, demo: LoadedInstance, demo_plan: Plan
) -> None:
    """Solved with the same seed and solution count, the imported day and the JSON give
    the same plan, and both plans pass the independent validator."""
    out = tmp_path / "day.json"
    import_tables(_tables(), out, region=REGION)
    loaded = read_instance(out)
    plan = solve(loaded, QUICK)
    assert validate(loaded.instance, plan, loaded.base).ok
    assert validate(demo.instance, demo_plan, demo.base).ok

    def content(p: Plan) -> dict[str, Any]:
        data = p.model_dump(exclude={"instance", "solver", "validation"})
        data["kpis"].pop("solve_seconds")
        return data

    assert content(plan) == content(demo_plan)
    assert plan.kpis.served > 0


def test_workbook_round_trip_with_excel_cells(tmp_path: Path, demo: LoadedInstance) -> None:
    """One .xlsx workbook, a sheet per table, reads as the CSVs do; Excel's own cells
    (a time of day, numbers) read as the text would."""
    book = tmp_path / "day.xlsx"
    write_tables(demo.instance, book, region=REGION)
    sheets = pd.read_excel(book, sheet_name=None, dtype=object)
    ships = sheets["shipments"]
    assert ships.loc[0, "ready"] == "14:15"
    ships.loc[0, "ready"] = time(14, 15)  # as Excel stores a typed-in time
    ships.loc[1, "priority"] = 5  # a number cell, not text
    with pd.ExcelWriter(book) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    _, inst = tables_to_data([book], REGION, relative_to=tmp_path)
    _same_day(inst, tmp_path, demo.instance, demo.base)


def test_region_folder_keeps_the_tables_of_every_day(tmp_path: Path, demo: LoadedInstance) -> None:
    """Tables not given are read from the region folder: a planner gives only the day's
    shipments, trucks, pools and day row."""
    region = tmp_path / "region"
    shutil.copytree(REGION, region)
    daily = {"day", "shipments", "trucks", "driver_pools"}
    for path in _tables():
        if path.stem not in daily:
            shutil.copy(path, region / path.name)
    _, inst = tables_to_data(
        [EXAMPLE / f"{k}.csv" for k in sorted(daily)], region, relative_to=tmp_path
    )
    data = inst.model_dump()
    for key in ("nodes", "edges"):
        assert Path(tmp_path / data["network"][key]).resolve().parent == region.resolve()
    data.pop("network")
    expected = demo.instance.model_dump()
    expected.pop("network")
    assert data == expected


def test_sealed_transit_roads_and_comment_columns(tmp_path: Path, demo: LoadedInstance) -> None:
    """A zone's sealed transit roads go in their own table and come back; columns whose
    header starts with # and empty columns with no header are left alone."""
    road = {"id": "G60", "nodes": ["j_g60_yiwu", "g60_yiwu_nw", "zhuji"]}
    data = demo.instance.model_dump(mode="json")
    data["zones"][0]["transit_roads"] = [road]
    inst = instance_from_data(data)
    folder = tmp_path / "t"
    write_tables(inst, folder, region=REGION)
    transit = pd.read_csv(folder / "transit_roads.csv", dtype=str)
    assert transit.to_dict("records") == [
        {"zone": "yiwu", "id": "G60", "nodes": "j_g60_yiwu;g60_yiwu_nw;zhuji"}
    ]
    ships = folder / "shipments.csv"
    lines = ships.read_text().splitlines()
    ships.write_text("\n".join([lines[0] + ",#note,", *(f"{x},call first," for x in lines[1:])]))
    _, back = tables_to_data(sorted(folder.glob("*.csv")), REGION, relative_to=folder)
    assert back.zones[0].transit_roads[0].nodes == road["nodes"]
    assert back.model_dump(exclude={"network"}) == inst.model_dump(exclude={"network"})


def test_clock_times_count_from_the_start(tmp_path: Path) -> None:
    """Clock times are on the start's date: with a 06:00 start, 07:30 is minute 90 and
    25:00 (the next day's 01:00) minute 1140; a clock time before the start is refused."""
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "day.csv").write_text("name,start\nd,2022-08-12T06:00:00+08:00\n")
    (folder / "places.csv").write_text("id,lon,lat\na,120,29\nb,120.1,29.1\n")
    (folder / "depots.csv").write_text("id,place\nd1,a\n")
    (folder / "trucks.csv").write_text(
        "id,depot,capacity_t,available_from,available_to\nT1,d1,10,06:00,25:00\n"
    )
    ships = folder / "shipments.csv"
    ships.write_text(
        "id,origin,destination,quantity_t,ready,due\nS1,a,b,2,07:30,2022-08-12T09:00:00+08:00\n"
    )
    _, inst = tables_to_data(sorted(folder.glob("*.csv")))
    assert inst.network.mode == "straight_line"
    assert (inst.shipments[0].ready, inst.shipments[0].due) == (90, 180)
    assert inst.trucks[0].available == (0, 1140)
    ships.write_text("id,origin,destination,quantity_t,ready,due\nS1,a,b,2,05:00,09:00\n")
    with pytest.raises(InputError) as err:
        tables_to_data(sorted(folder.glob("*.csv")))
    assert err.value.where == f"{ships}, row 2, column ready"
    assert "before the day's start" in err.value.message


# Each bad cell: the table, the text replaced, its replacement, the row and column named.
BAD = {
    "missing column": ("shipments", ",due,", ",", "row 1", "due"),
    "text in a number": (
        "shipments",
        "S003,yiwu_port,jinhua,12",
        "S003,yiwu_port,jinhua,a lot",
        "row 4",
        "column quantity_t",
    ),
    "text in a time": ("shipments", "09:00,11:35", "soon,11:35", "row 4", "column ready"),
    "unknown place": ("shipments", "S003,yiwu_port", "S003,yiwu_prot", "row 4", "column origin"),
    "duplicate id": ("shipments", "S004,", "S003,", "row 5", "column id"),
    "repeated column": ("trucks", ",permits,", ",depot,", "row 1", "column depot"),
    "unknown column": ("trucks", ",permits,", ",permit,", "row 1", "column permit"),
    "unknown road node": (
        "places",
        "yiwu_beiyuan,factory,yiwu_beiyuan",
        "yiwu_beiyuan,factory,yiwu_beiyan",
        "row 4",
        "column node",
    ),
    "not a polygon": ("zones", "POLYGON ((120.18", "POINT ((120.18", "row 3", "column polygon"),
    "not a flag": (
        "relay_stations",
        "yiwu,pujiang,false",
        "yiwu,pujiang,perhaps",
        "row 3",
        "column transload",
    ),
    "not a permit zone": (
        "trucks",
        "06:00,22:00,dongyang,outside",
        "06:00,22:00,yiwu,outside",
        "row 2",
        "column permits",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_cell_named_by_file_row_and_column(
    case: str, bad: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad cell is one message naming the file, the row and the column; exit 2; no
    output file."""
    table, old, new, row, column = BAD[case]
    _edit(bad / f"{table}.csv", old, new)
    out = tmp_path / "day.json"
    code = main(["import", *map(str, _tables(bad)), "--region", str(REGION), "-o", str(out)])
    err = "".join(capsys.readouterr().err.split())  # rich wraps long lines, even in paths
    assert code == 2
    assert not out.exists() and not list(tmp_path.glob(".day.json.*"))
    assert err.count("error:") == 1 and "Traceback" not in err
    assert f"{bad / table}.csv,{row}".replace(" ", "") in err, err
    assert column.replace(" ", "") in err, err


def test_semicolon_csv_is_told_apart(bad: Path) -> None:
    """A CSV saved with ; between cells (European Excel) is named as such."""
    path = bad / "depots.csv"
    path.write_text(path.read_text().replace(",", ";"))
    with pytest.raises(InputError, match="separated by ';'") as err:
        tables_to_data(_tables(bad), REGION)
    assert err.value.where.startswith(f"{path}, row 1, column id;place")


def test_duplicate_id_names_both_rows(bad: Path) -> None:
    """A duplicate id names the row it repeats, in the same words."""
    _edit(bad / "trucks.csv", "T05,", "T02,")
    with pytest.raises(InputError) as err:
        tables_to_data(_tables(bad), REGION)
    assert err.value.where == f"{bad / 'trucks.csv'}, row 6, column id"
    assert f"first at {bad / 'trucks.csv'}, row 3" in err.value.message


def test_missing_tables_and_region(bad: Path) -> None:
    """No day table, no places table, or places with no lon/lat and no region: each says
    what to give."""
    with pytest.raises(InputError, match="no day table"):
        tables_to_data([bad / "shipments.csv"], REGION)
    with pytest.raises(InputError, match="no places table"):
        tables_to_data([p for p in _tables(bad) if p.stem != "places"], REGION)
    with pytest.raises(InputError) as err:
        tables_to_data(_tables(bad))
    assert err.value.where == f"{bad / 'places.csv'}, row 2, column lon"
    with pytest.raises(InputError, match="name the file after its table"):
        tables_to_data([*_tables(bad), shutil.copy(bad / "trucks.csv", bad / "lorries.csv")])


def test_tables_from_writes_a_template(
    tmp_path: Path, demo: LoadedInstance, capsys: pytest.CaptureFixture[str]
) -> None:
    """`import --tables-from` writes an instance's tables, which `import` reads back."""
    folder = tmp_path / "mine"
    assert (
        main(
            [
                "import",
                "--tables-from",
                str(ROOT / "instances" / "yiwu-demo.json"),
                "-o",
                str(folder),
                "-q",
            ]
        )
        == 0
    )
    places = pd.read_csv(folder / "places.csv", dtype=str)
    assert {"lon", "lat", "name"} <= set(places.columns)  # no region: written out
    out = tmp_path / "day.json"
    assert main(["import", *map(str, _tables(folder)), "-o", str(out), "-q"]) == 2  # no roads
    assert not out.exists()
    assert "give--region" in "".join(capsys.readouterr().err.split())
    _, inst = tables_to_data(_tables(folder), REGION, relative_to=tmp_path)
    assert inst.model_dump(exclude={"network"}) == demo.instance.model_dump(exclude={"network"})
    assert instance_tables(inst)["shipments"].shape == (40, 8)


def test_readme_names_every_column() -> None:
    """The README's table of columns ("A day from spreadsheets") names every column the
    importer reads, in the row of its table: new fields of the schema get documented."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## A day from spreadsheets", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = line.split(" | ")
        if line.startswith("| `") and len(cells) == 3:
            rows[cells[0].strip("|` ")] = cells[2]
    assert set(rows) == set(KINDS)
    for kind in KINDS:
        for col in table_columns(kind):
            if col.shape == "table":
                continue
            if col.shape == "pair":
                names = [f"{col.field}_from", f"{col.field}_to"]
            elif col.shape == "dims":
                names = [f"{col.field}_<dimension>"]
            elif col.shape == "nested":
                names = [
                    f"{col.field}_{sub.field}"
                    for sub in columns(col.model)
                    if not (col.field == "network" and sub.field in NETWORK_FILES)
                ]
            else:
                names = [col.field]
            for name in names:
                assert f"`{name}`" in rows[kind], (kind, name)
    assert "`zone`" in rows[TRANSIT]


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "instances").glob("*.json")))
def test_every_bundled_instance_comes_back_from_its_tables(name: str, tmp_path: Path) -> None:
    """Each bundled day, written as tables on its region and read back, is the same
    instance (rail timetables past midnight, two-day horizons, permits, closed roads)."""
    loaded = read_instance(ROOT / "instances" / f"{name}.json")
    region = (loaded.base / str(loaded.instance.network.nodes)).parent
    write_tables(loaded.instance, tmp_path, region=region)
    _, back = tables_to_data(sorted(tmp_path.glob("*.csv")), region, relative_to=loaded.base)
    assert back.model_dump() == loaded.instance.model_dump()


@settings(derandomize=True, deadline=None, max_examples=25)
@given(drawn=valid_instances(("euclidean", "straight_line")))
def test_drawn_instances_come_back_from_their_tables(drawn: tuple[str, dict[str, Any]]) -> None:
    """Any valid instance the fuzz strategies draw (fractional minutes, zero amounts,
    euclidean x/y, transload-only stations) comes back from its tables unchanged."""
    inst = instance_from_data(drawn[1])
    with tempfile.TemporaryDirectory() as folder:
        write_tables(inst, folder)
        _, back = tables_to_data(sorted(Path(folder).glob("*.csv")))
    assert back.model_dump() == inst.model_dump()


def test_list_item_holding_a_semicolon_is_refused(tmp_path: Path, demo: LoadedInstance) -> None:
    """A list item with ; in it cannot go in a ;-joined cell: write_tables says so
    rather than write a table that reads back as something else."""
    data = demo.instance.model_dump(mode="json")
    data["driver_pools"][0]["drivers"] = ["Li Wei", "Wang; Fang"]
    with pytest.raises(InputError, match="Wang; Fang"):
        write_tables(instance_from_data(data), tmp_path / "t")
    assert not (tmp_path / "t").exists()


def test_zone_changes_come_back_from_their_table(tmp_path: Path) -> None:
    """A zone's policy changes (a re-planned day has them) are a ``changes`` table, one
    row per change with its zone and a clock time, and come back the same."""
    import json

    data = json.loads((ROOT / "tests" / "data" / "small-straight.json").read_text())
    data["zones"][0]["changes"] = [{"at": 720, "policy": "open"}]
    data["zones"][1]["changes"] = [{"at": 600, "policy": "closed_loop"}]
    inst = instance_from_data(data)
    paths = write_tables(inst, tmp_path / "tables")
    text = (tmp_path / "tables" / "changes.csv").read_text()
    assert text.splitlines() == ["zone,at,policy", "city,12:00,open", "park,10:00,closed_loop"]
    back = import_tables(paths, tmp_path / "back.json")
    assert [z.changes for z in back.zones] == [z.changes for z in inst.zones]


def test_a_zones_new_area_comes_back_from_its_table(tmp_path: Path) -> None:
    """A change that draws the zone anew carries its polygon as a WKT cell and comes
    back the same; a change of policy only leaves the cell empty."""
    import json

    data = json.loads((ROOT / "tests" / "data" / "small-straight.json").read_text())
    wider = [[120.0, 29.3], [120.16, 29.3], [120.16, 29.46], [120.0, 29.46], [120.0, 29.3]]
    data["zones"][0]["changes"] = [{"at": 720, "policy": "closed_loop", "polygon": [wider]}]
    data["zones"][1]["changes"] = [{"at": 600, "policy": "closed_loop"}]
    inst = instance_from_data(data)
    paths = write_tables(inst, tmp_path / "tables")
    rows = (tmp_path / "tables" / "changes.csv").read_text().splitlines()
    assert rows[0] == "zone,at,policy,polygon"
    assert rows[1].startswith('city,12:00,closed_loop,"POLYGON ((120 29.3')
    assert rows[2] == "park,10:00,closed_loop,"
    back = import_tables(paths, tmp_path / "back.json")
    assert [z.changes for z in back.zones] == [z.changes for z in inst.zones]
