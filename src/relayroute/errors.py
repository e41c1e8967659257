"""The one error type bad input raises: it names where the input is wrong."""

from __future__ import annotations

import json
import re


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


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def json_path(loc: tuple[object, ...] | list[object]) -> str:
    """``('shipments', 3, 'ready')`` → ``$.shipments[3].ready``.

    A key that is not a plain name (an unknown field or a capacity dimension typed by
    the user: spaces, dots, quotes, line breaks, nothing at all) is written in brackets as
    a JSON string, ``$.network["a.b\\n"]``, so that the path stays on one line and says
    where it ends.
    """
    out = "$"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _NAME.fullmatch(str(part)):
            out += f".{part}"
        else:
            out += f"[{_quoted(str(part))}]"
    return out


def _quoted(key: str) -> str:
    text = json.dumps(key, ensure_ascii=False)  # control characters escaped, letters kept
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no terminal can print it
        text = json.dumps(key)
    return text
