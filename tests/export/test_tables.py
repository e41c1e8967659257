"""CSV tables and the Excel workbook of a plan (issue 20, item 3), read back and checked
against the plan, with every column documented in the README."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

import openpyxl
import pandas as pd
import pytest

from relayroute.cli import main
from relayroute.export.tables import TABLES, plan_tables, transloads_table, write_tables
from relayroute.export.workbook import write_workbook
from relayroute.io.plan import write_plan
from relayroute.model.plan import Transload, pass_id
from relayroute.validate import validate

from ..conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path

    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan

DEMO = ROOT / "instances" / "yiwu-demo.json"
SMALL = ROOT / "tests" / "data" / "small-straight.json"


def _valid(loaded: LoadedInstance, plan: Plan) -> Plan:
    report = validate(loaded.instance, plan, loaded.base)
    assert report.ok, [str(v) for v in report.violations[:5]]
    return plan


@pytest.fixture(scope="module")
def demo_ok(demo: LoadedInstance, demo_plan: Plan) -> Plan:
    """The demo's plan, checked by the independent validator."""
    return _valid(demo, demo_plan)


@pytest.fixture(scope="module")
def unserved_ok(small_no_relay: LoadedInstance, small_no_relay_plan: Plan) -> Plan:
    """The small instance without its relay station: shipments into the closed zone are
    unserved. Checked by the validator."""
    assert small_no_relay_plan.unserved
    return _valid(small_no_relay, small_no_relay_plan)


@pytest.fixture(scope="module")
def csv_dir(demo: LoadedInstance, demo_ok: Plan, tmp_path_factory: Any) -> Path:
    folder = tmp_path_factory.mktemp("tables")
    write_tables(demo.instance, demo_ok, folder)
    return folder


def _read(folder: Path, name: str) -> pd.DataFrame:
    # Ids stay text ("007" is not 7); empty cells come back as "".
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def test_one_csv_per_table_with_header(csv_dir: Path, demo: LoadedInstance, demo_ok: Plan) -> None:
    """Every table is a file with its fixed columns, header included when it has no rows
    (the demo books no train and moves no goods between trucks)."""
    names = sorted(p.stem for p in csv_dir.glob("*.csv"))
    assert names == sorted(TABLES)
    tables = plan_tables(demo.instance, demo_ok)
    for name in TABLES:
        df = _read(csv_dir, name)
        assert list(df.columns) == list(tables[name].columns), name
        assert len(df) == len(tables[name])
    assert len(_read(csv_dir, "rail_bookings")) == 0 and len(_read(csv_dir, "transloads")) == 0
    header = (csv_dir / "rail_bookings.csv").read_text().splitlines()
    assert header[0].startswith("service,origin,destination,departure,")


def test_stops_have_lon_lat(csv_dir: Path, demo: LoadedInstance, demo_ok: Plan) -> None:
    """``stops.csv``: one row per stop in route order, at its place's lon/lat, with
    local times and minutes that agree and the load per dimension."""
    df = pd.read_csv(csv_dir / "stops.csv", keep_default_na=False)
    stops = [(r.truck, k, s) for r in demo_ok.routes for k, s in enumerate(r.stops)]
    assert len(df) == len(stops)
    places = demo.instance.places_by_id
    for (truck, k, s), row in zip(stops, df.itertuples(index=False), strict=True):
        assert (row.truck, row.seq, row.kind, row.place) == (truck, k, s.kind, s.place)
        assert (row.lon, row.lat) == (places[s.place].lon, places[s.place].lat)
        assert row.depart_minute == pytest.approx(s.depart)
        local = datetime.fromisoformat(row.depart)
        assert local.utcoffset() == demo.instance.start.utcoffset()
        minutes = (local - demo.instance.start).total_seconds() / 60
        assert minutes == pytest.approx(s.depart, abs=0.01)
        for d in demo.instance.capacity_dimensions():
            assert getattr(row, f"load_{d}") == pytest.approx(s.load.get(d, 0.0))


def test_passes_handovers_loop_drivers(csv_dir: Path, demo_ok: Plan) -> None:
    """``passes.csv``, ``handovers.csv``, ``loop_drivers.csv`` and ``excursions.csv`` list
    exactly the plan's passes, handovers, loop-driver duties and their trips."""
    assert demo_ok.passes and demo_ok.handovers and demo_ok.loop_drivers
    passes = _read(csv_dir, "passes")
    assert len(passes) == len(demo_ok.passes) and passes["pass"].is_unique
    for p, row in zip(demo_ok.passes, passes.itertuples(index=False), strict=True):
        assert (row.truck, row.driver, row.checkpoint, row.zone) == (
            p.truck, p.driver, p.checkpoint, p.zone
        )  # fmt: skip
        assert float(row.valid_from_minute) == pytest.approx(p.valid_from)
    assert passes["pass"].tolist() == [
        p.id or pass_id(p.truck, p.checkpoint, p.valid_from) for p in demo_ok.passes
    ]
    hand = _read(csv_dir, "handovers")
    assert len(hand) == len(demo_ok.handovers)
    for h, row in zip(demo_ok.handovers, hand.itertuples(index=False), strict=True):
        assert (row.station, row.truck, row.direction, row.from_driver, row.to_driver) == (
            h.station, h.truck, h.direction, h.from_driver, h.to_driver
        )  # fmt: skip
        assert float(row.end_minute) - float(row.start_minute) == pytest.approx(h.end - h.start)
        assert row.station_name
    duty = _read(csv_dir, "loop_drivers")
    assert duty["driver"].tolist() == [d.driver for d in demo_ok.loop_drivers]
    assert duty["excursions"].astype(int).tolist() == [
        len(d.excursions) for d in demo_ok.loop_drivers
    ]
    trips = _read(csv_dir, "excursions")
    assert len(trips) == sum(len(d.excursions) for d in demo_ok.loop_drivers)
    for d, row in zip(demo_ok.loop_drivers, duty.itertuples(index=False), strict=True):
        mine = trips[trips["driver"] == d.driver]
        assert float(row.inside_minutes) == pytest.approx(mine["minutes"].astype(float).sum())
        assert row.trucks.split() == mine["truck"].tolist()


def test_legs_and_shipments_agree_with_plan(csv_dir: Path, demo_ok: Plan) -> None:
    """``legs.csv`` has every leg with its km; ``shipments.csv`` sums to the plan's
    weighted delay."""
    legs = pd.read_csv(csv_dir / "legs.csv", keep_default_na=False)
    assert len(legs) == sum(len(r.legs) for r in demo_ok.routes)
    assert legs["km"].sum() == pytest.approx(sum(r.km for r in demo_ok.routes), rel=1e-6)
    ships = pd.read_csv(csv_dir / "shipments.csv", keep_default_na=False)
    served = ships[ships["status"] == "served"]
    assert len(served) == demo_ok.kpis.served
    assert served["weighted_delay"].astype(float).sum() == pytest.approx(
        demo_ok.kpis.weighted_delay, abs=0.5
    )


def test_unserved_with_reasons(
    small_no_relay: LoadedInstance, unserved_ok: Plan, tmp_path: Path
) -> None:
    """``unserved.csv`` has each unserved shipment once, with its reason code, the reason
    in words and the shipment's terms."""
    write_tables(small_no_relay.instance, unserved_ok, tmp_path)
    df = _read(tmp_path, "unserved")
    assert df["shipment"].tolist() == [u.shipment for u in unserved_ok.unserved]
    assert df["reason"].tolist() == [u.reason for u in unserved_ok.unserved]
    assert (df["detail"] != "").all()
    ships = small_no_relay.instance.shipments_by_id
    for row in df.itertuples(index=False):
        assert row.origin == ships[row.shipment].origin
        assert float(row.due_minute) == ships[row.shipment].due
    shipments = _read(tmp_path, "shipments")
    assert set(shipments.loc[shipments["status"] == "unserved", "shipment"]) == set(df["shipment"])


def test_transload_rows(demo: LoadedInstance, demo_ok: Plan) -> None:
    """A transload the plan states becomes a row with the station's name and both times
    (the row's format only: no solver output is needed to test it)."""
    station = demo.instance.relay_stations[0]
    moved = demo_ok.model_copy(
        update={
            "transloads": [
                Transload(station=station.id, shipment="S001", time=600.0, ready=630.0,
                          from_truck="T01", to_truck="T02")
            ]
        }
    )  # fmt: skip
    row = transloads_table(demo.instance, moved).iloc[0]
    assert row["station_name"] == station.name and row["from_truck"] == "T01"
    assert row["ready_minute"] - row["time_minute"] == 30.0
    assert datetime.fromisoformat(row["ready"]) > datetime.fromisoformat(row["time"])


def test_workbook_reads_back(
    demo: LoadedInstance, demo_ok: Plan, csv_dir: Path, tmp_path: Path
) -> None:
    """The workbook has a ``kpis`` sheet and one sheet per table; each sheet holds what the
    CSV holds, and the KPIs are the plan's. Headers are frozen and filtered."""
    path = write_workbook(demo.instance, demo_ok, tmp_path / "plan.xlsx")
    sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    assert list(sheets) == ["kpis", *TABLES]
    tables = plan_tables(demo.instance, demo_ok)
    for name in TABLES:
        from_csv = _read(csv_dir, name)
        assert list(sheets[name].columns) == list(from_csv.columns), name
        assert len(sheets[name]) == len(from_csv), name
        for col in from_csv.columns:
            if pd.api.types.is_numeric_dtype(tables[name][col]):
                a = pd.to_numeric(sheets[name][col], errors="coerce")
                b = pd.to_numeric(from_csv[col], errors="coerce")
                assert a.fillna(-1).tolist() == pytest.approx(b.fillna(-1).tolist()), (name, col)
            else:
                assert sheets[name][col].tolist() == from_csv[col].tolist(), (name, col)
    kpis = pd.read_excel(path, sheet_name="kpis")
    got = dict(zip(kpis["kpi"], kpis["value"], strict=True))
    for key, value in demo_ok.kpis.model_dump(exclude={"by_priority"}).items():
        assert got[key] == pytest.approx(value)
    classes = pd.read_excel(path, sheet_name="priorities")
    assert classes.to_dict("records") == [c.model_dump() for c in demo_ok.kpis.by_priority]
    assert kpis["meaning"].str.len().gt(0).all()
    book = openpyxl.load_workbook(path, read_only=False)
    for name in book.sheetnames:
        assert book[name].freeze_panes == "A2"
        assert book[name].auto_filter.ref


def test_cli_xlsx_and_csv(demo_ok: Plan, tmp_path: Path, capsys: Any) -> None:
    """``export --csv DIR --xlsx FILE`` writes every table and the workbook; an ``--xlsx``
    that is a folder is refused with exit 2 before anything is written."""
    plan_path = tmp_path / "plan.json"
    write_plan(demo_ok, plan_path)
    out = tmp_path / "out"
    code = main(["export", str(DEMO), str(plan_path), "--csv", str(out / "csv"),
                 "--xlsx", str(out / "plan.xlsx"), "-q"])  # fmt: skip
    assert code == 0
    assert sorted(p.stem for p in (out / "csv").glob("*.csv")) == sorted(TABLES)
    assert set(pd.read_excel(out / "plan.xlsx", sheet_name=None)) == {"kpis", *TABLES}
    capsys.readouterr()
    folder = tmp_path / "afolder"
    folder.mkdir()
    code = main(["export", str(DEMO), str(plan_path), "--csv", str(tmp_path / "c2"),
                 "--xlsx", str(folder)])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "afolder" in err and "Traceback" not in err
    assert not (tmp_path / "c2").exists()


def test_cli_bad_plan_writes_no_workbook(demo_ok: Plan, tmp_path: Path, capsys: Any) -> None:
    """A plan naming a stop at a place the instance lacks: exit 2, the place named, no
    workbook and no CSV."""
    bad = demo_ok.model_copy(deep=True)
    bad.routes[0].stops[1].place = "nowhere"
    plan_path = tmp_path / "plan.json"
    write_plan(bad, plan_path)
    out = tmp_path / "out"
    code = main(["export", str(DEMO), str(plan_path), "--geojson", str(out / "r.geojson"),
                 "--csv", str(out), "--xlsx", str(out / "plan.xlsx")])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "stops[1].place" in err and "nowhere" in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def _documented(section: str, name: str) -> list[str]:
    for line in section.splitlines():
        if line.startswith(f"| `{name}.csv`"):
            return re.findall(r"`([^`]+)`", line.split("|")[3])
    raise AssertionError(f"README documents no {name}.csv")


def test_every_csv_column_is_documented(
    demo: LoadedInstance, demo_ok: Plan, small_no_relay: LoadedInstance, unserved_ok: Plan
) -> None:
    """The README's CSV table lists each file's columns in order, and no column the file
    does not have (``<dimension>`` stands for each capacity dimension)."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### CSV columns") : text.index("### GeoJSON properties")]
    for loaded, plan in ((demo, demo_ok), (small_no_relay, unserved_ok)):
        dims = loaded.instance.capacity_dimensions()
        for name, df in plan_tables(loaded.instance, plan).items():
            generic: list[str] = []
            for col in df.columns:
                prefix, _, dim = col.partition("_")
                if prefix in ("qty", "load") and dim in dims:
                    col = f"{prefix}_<dimension>"
                if col not in generic:
                    generic.append(col)
            assert _documented(section, name) == generic, name
