"""A plan as one Excel workbook (openpyxl): one sheet per table, for offices that live in
spreadsheets.

The sheets are the CSV tables of :mod:`relayroute.export.tables` in the same order, with
the same columns, plus a ``kpis`` sheet first. Each sheet has its header row frozen, an
autofilter and columns wide enough to read. Times stay ISO 8601 text with the UTC offset
(Excel has no time zones) beside the numeric ``*_minute`` columns.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl.utils import get_column_letter

from relayroute.export.tables import kpis_table, plan_tables
from relayroute.io.atomic import write_bytes_atomic

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan

MAX_WIDTH = 60  # characters; long texts (descriptions, id lists) wrap off to the right


def _fit(sheet: Worksheet, df: pd.DataFrame) -> None:
    """Freeze the header, add a filter and size each column to its longest text."""
    sheet.freeze_panes = "A2"
    if len(df.columns):
        sheet.auto_filter.ref = sheet.dimensions
    for i, col in enumerate(df.columns, start=1):
        longest = max([len(str(col)), *(len(str(v)) for v in df[col] if not pd.isna(v))])
        sheet.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, longest + 2)


def workbook_bytes(inst: Instance, plan: Plan) -> bytes:
    """The plan's workbook as ``.xlsx`` bytes.

    Parameters
    ----------
    inst
        The instance the plan was made for.
    plan
        The plan.

    Returns
    -------
    bytes
        An Office Open XML workbook: sheet ``kpis``, then one sheet per table of
        :func:`relayroute.export.tables.plan_tables`, named as the table.
    """
    sheets = {"kpis": kpis_table(inst, plan), **plan_tables(inst, plan)}
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, df in sheets.items():
            df.to_excel(writer, sheet_name=name, index=False)
            _fit(writer.sheets[name], df)
    return buffer.getvalue()


def workbook_files(inst: Instance, plan: Plan, path: str | Path) -> dict[Path, bytes]:
    """The bytes :func:`write_workbook` writes, by path."""
    return {Path(path): workbook_bytes(inst, plan)}


def write_workbook(inst: Instance, plan: Plan, path: str | Path) -> Path:
    """Write the plan's workbook to ``path`` (built whole first, then renamed into place).

    Parameters
    ----------
    inst
        The instance the plan was made for.
    plan
        The plan.
    path
        The ``.xlsx`` file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InputError
        The file cannot be written.
    """
    target = Path(path)
    write_bytes_atomic(target, workbook_bytes(inst, plan))
    return target
