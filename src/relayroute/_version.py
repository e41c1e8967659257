"""The installed version, apart so that any module may read it without the whole API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("relayroute")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"
