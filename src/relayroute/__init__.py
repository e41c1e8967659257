"""relayroute: plans freight through relay stations around closed zones."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("relayroute")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
