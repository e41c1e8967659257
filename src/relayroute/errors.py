"""The one error type bad input raises: it names where the input is wrong."""

from __future__ import annotations


class InputError(Exception):
    """Bad input, with the JSON path (or file) where it is wrong.

    Parameters
    ----------
    where
        A JSON path such as ``$.shipments[3].ready``, or a file name.
    message
        What is wrong there, in words a planner understands.
    """

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def json_path(loc: tuple[object, ...] | list[object]) -> str:
    """``('shipments', 3, 'ready')`` → ``$.shipments[3].ready``."""
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
