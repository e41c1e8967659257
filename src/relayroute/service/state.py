"""Where the service keeps its plan between restarts: a folder of numbered versions.

Each change writes the grown instance and the new plan as ``instance-<n>.json`` and
``plan-<n>.json``, each atomically (a temporary file, then a rename), and only then points
``current.json`` at them, atomically too: a kill at any moment leaves ``current.json``
naming a whole pair, the old one or the new. A service started on the same folder carries
on from the pair it names. The versions before the last two are removed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from relayroute.errors import InputError
from relayroute.io.atomic import write_text_atomic
from relayroute.io.instance import LoadedInstance, parse_json, read_instance
from relayroute.io.plan import read_plan

if TYPE_CHECKING:
    from relayroute.model.plan import Plan

CURRENT = "current.json"
# Versions kept on disk: the current pair and the one before it.
KEPT = 2
_NETWORK_FILES = ("nodes", "edges", "graphml", "osm")


@dataclass(frozen=True)
class Saved:
    """A state read back: the instance, its plan and how many changes made them."""

    loaded: LoadedInstance
    plan: Plan
    version: int


def instance_text(loaded: LoadedInstance, folder: Path) -> str:
    """The instance as JSON for a file in ``folder``: its road files found from there.

    Parameters
    ----------
    loaded
        The instance and the folder its relative road-file paths start from.
    folder
        Where the file will be written.

    Returns
    -------
    str
        The JSON text.
    """
    data = loaded.instance.model_dump(mode="json", by_alias=True, exclude_none=True)
    network = data.get("network") or {}
    for key in _NETWORK_FILES:
        value = network.get(key)
        if isinstance(value, str) and not Path(value).is_absolute():
            target = (loaded.base / value).resolve()
            network[key] = os.path.relpath(target, folder.resolve())
    return json.dumps(data, ensure_ascii=False) + "\n"


class Store:
    """The versions of one service's state in a folder.

    Parameters
    ----------
    folder
        The folder (created when first written).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def load(self) -> Saved | None:
        """The state ``current.json`` names, or None when the folder holds none.

        Raises
        ------
        InputError
            ``current.json`` or a file it names cannot be read.
        """
        pointer = self.folder / CURRENT
        if not pointer.exists():
            return None
        where = str(pointer)
        data = parse_json(pointer.read_text(encoding="utf-8"), where)
        if not (
            isinstance(data, dict)
            and isinstance(data.get("instance"), str)
            and isinstance(data.get("plan"), str)
            and isinstance(data.get("version"), int)
        ):
            raise InputError(where, "expected {instance, plan, version}")
        loaded = read_instance(self.folder / data["instance"])
        plan = read_plan(self.folder / data["plan"])
        return Saved(loaded, plan, int(data["version"]))

    def save(self, instance_json: str, plan_json: str, version: int) -> None:
        """Write one version and make it the current one.

        Parameters
        ----------
        instance_json, plan_json
            The texts of the instance (:func:`instance_text`) and of its plan.
        version
            Its number: one more than the last saved.

        Raises
        ------
        InputError
            The folder cannot be written.
        """
        names = {"instance": f"instance-{version:06d}.json", "plan": f"plan-{version:06d}.json"}
        write_text_atomic(self.folder / names["instance"], instance_json)
        write_text_atomic(self.folder / names["plan"], plan_json)
        # The commit point: before this rename the old pair is current, after it the new.
        write_text_atomic(self.folder / CURRENT, json.dumps({**names, "version": version}) + "\n")
        self._prune(version)

    def _prune(self, version: int) -> None:
        for old in [*self.folder.glob("instance-*.json"), *self.folder.glob("plan-*.json")]:
            number = old.stem.rsplit("-", 1)[-1]
            if number.isdigit() and int(number) <= version - KEPT:
                old.unlink(missing_ok=True)
