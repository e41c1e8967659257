"""Writing files so that a failure never leaves a partial one behind."""

from __future__ import annotations

import glob
import os
import tempfile
import time
from pathlib import Path

from relayroute.errors import InputError


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place.

    Raises
    ------
    InputError
        The place cannot be written (a folder in the way, no permission, a path under a file).
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise InputError(str(target), f"cannot be written: {exc.strerror}") from None
    _sweep(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp makes the file private; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# A temporary file older than this beside a target was left by a writer that was killed.
STALE_SECONDS = 600


def _sweep(target: Path) -> None:
    """Remove temporary files of earlier writes of ``target`` that a kill left behind."""
    now = time.time()
    for old in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        try:
            if now - old.stat().st_mtime > STALE_SECONDS:
                old.unlink()
        except OSError:
            pass  # another writer's, or gone already


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) atomically: see :func:`write_bytes_atomic`."""
    write_bytes_atomic(path, text.encode("utf-8"))


def check_output(path: str | Path, *inputs: str | Path, folder: bool = False) -> Path:
    """Refuse, before any work, an output place that cannot or must not be written.

    Parameters
    ----------
    path
        Where an output file (or, with ``folder``, a folder of files) will be written.
    *inputs
        The files the command reads: none of them may be overwritten by the output.
    folder
        The output is a folder (it may exist as one), not a file.

    Returns
    -------
    Path
        The path, as given.

    Raises
    ------
    InputError
        The path is empty, is a folder where a file is meant (or a file where a folder is),
        lies under a file, is one of the inputs, or its folder cannot be written.
    """
    text = str(path)
    if not text.strip():
        raise InputError("-o", "the output path is empty")
    target = Path(text)
    if target.is_dir() and not folder:
        raise InputError(text, "is a folder; give a file name")
    if folder and target.exists() and not target.is_dir():
        raise InputError(text, "is a file; give a folder")
    for given in inputs:
        if given and Path(given).exists() and target.exists() and target.samefile(given):
            raise InputError(
                text, f"is an input of this command ({given}); it would be overwritten"
            )
    parent = target if folder else target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(text, f"{parent} is a file, not a folder")
    if not os.access(parent, os.W_OK):
        raise InputError(text, f"folder {parent} cannot be written")
    return target
