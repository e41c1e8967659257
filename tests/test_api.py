"""The flat API's examples run as written (issue 17, item 1): each public function's
numpydoc ``Examples`` and the package docstring are doctests, run here from the project
root (their paths are relative to it)."""

from __future__ import annotations

import doctest
import importlib

import pytest

import relayroute as rr

from .conftest import ROOT

# Modules whose docstrings hold the examples of the flat API's functions.
EXAMPLES = [
    "relayroute",
    "relayroute.io.instance",
    "relayroute.validate",
    "relayroute.model.passes",
    "relayroute.solve.insert",
    "relayroute.solve.explain",
    "relayroute.solve.pipeline",
]


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_run(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every example in the module's docstrings gives the output it shows."""
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    if name == "relayroute":
        module = rr  # the flat package itself, not a sub-package of that name
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


@pytest.mark.parametrize(
    "name", ["read_instance", "solve", "validate", "passes", "insert", "explain"]
)
def test_flat_api_names(name: str) -> None:
    """The pass service's calls are on the flat namespace, each with numpydoc sections."""
    fn = getattr(rr, name)
    assert name in rr.__all__ and callable(fn)
    doc = fn.__doc__ or ""
    assert "Parameters\n    ----------" in doc and "Returns\n    -------" in doc


def test_instance_in_python_is_checked_like_a_file() -> None:
    """``Instance(...)`` runs the cross-object checks: a truck from an unknown depot is
    an InputError naming its path, not a KeyError later."""
    data = rr.read_instance(ROOT / "tests" / "data" / "small-straight.json").instance.model_dump()
    data["trucks"][1]["depot"] = "nowhere"
    with pytest.raises(rr.InputError) as err:
        rr.Instance(**data)
    assert err.value.where == "$.trucks[1].depot"
    # The same data through instance_from_data: the same message.
    with pytest.raises(rr.InputError) as again:
        rr.instance_from_data(data)
    assert str(again.value) == str(err.value)
