"""pytest fixtures for plugin-pack authors, registered through pytest's ``pytest11`` entry point.

Installed with rehabkit, so a pack's tests need no conftest. Name the pack
under test once, in the pack's ``pyproject.toml``::

    [tool.pytest.ini_options]
    rehabkit_pack = "myclinic"

(or ``pytest --rehabkit-pack myclinic``). Then:

``rehabkit_pack``
    a :class:`rehabkit.testing.PackHarness` holding only the pack under test
    (plus the packs named by ``rehabkit_with`` in the ini file, or by a
    ``@pytest.mark.rehabkit_with("exercises")`` marker), with a fresh SQLite
    file for sessions;
``rehabkit_packs``
    a factory: ``rehabkit_packs("exercises", "neck")`` gives a harness with the
    pack under test plus those packs.

This module imports nothing of rehabkit at pytest start-up, so it costs
nothing in test runs that do not use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .testing import PackHarness

__all__ = ["rehabkit_pack", "rehabkit_pack_name", "rehabkit_packs"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--rehabkit-pack`` and the ini options ``rehabkit_pack`` and ``rehabkit_with``."""
    group = parser.getgroup("rehabkit", "rehabkit plugin-pack testing")
    group.addoption(
        "--rehabkit-pack",
        default=None,
        metavar="NAME",
        help="The rehabkit pack under test (entry-point name); overrides the ini option rehabkit_pack.",
    )
    parser.addini("rehabkit_pack", "The rehabkit pack under test (its entry-point name).", default="")
    parser.addini(
        "rehabkit_with",
        "Other installed rehabkit packs the pack under test needs (e.g. exercises).",
        type="args",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``rehabkit_with`` marker."""
    config.addinivalue_line("markers", "rehabkit_with(*packs): load these rehabkit packs with the pack under test")


@pytest.fixture
def rehabkit_pack_name(request: pytest.FixtureRequest) -> str:
    """The entry-point name of the pack under test (``--rehabkit-pack`` or the ini option ``rehabkit_pack``)."""
    name = request.config.getoption("--rehabkit-pack") or request.config.getini("rehabkit_pack")
    if not name:
        pytest.fail(
            "no rehabkit pack under test: set 'rehabkit_pack = \"NAME\"' under [tool.pytest.ini_options] "
            "in pyproject.toml, or pass --rehabkit-pack NAME.",
            pytrace=False,
        )
    return str(name)


def _others(request: pytest.FixtureRequest) -> tuple[str, ...]:
    names = list(request.config.getini("rehabkit_with"))
    for marker in request.node.iter_markers("rehabkit_with"):
        names += list(marker.args)
    return tuple(dict.fromkeys(names))


def _harness(pack: str, others: tuple[str, ...], tmp_path: Any) -> PackHarness:
    from .testing import PackHarness, PackTestError

    try:
        return PackHarness(pack, others, db_path=tmp_path / "rehabkit-sessions.sqlite")
    except PackTestError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def rehabkit_pack(request: pytest.FixtureRequest, rehabkit_pack_name: str, tmp_path: Any) -> PackHarness:
    """A harness holding the pack under test (and ``rehabkit_with`` packs) and a fresh session database."""
    return _harness(rehabkit_pack_name, _others(request), tmp_path)


@pytest.fixture
def rehabkit_packs(
    request: pytest.FixtureRequest, rehabkit_pack_name: str, tmp_path: Any
) -> Callable[..., PackHarness]:
    """A factory: ``rehabkit_packs("exercises")`` is a harness with the pack under test plus the named packs."""

    def make(*others: str) -> PackHarness:
        return _harness(rehabkit_pack_name, tuple(dict.fromkeys((*_others(request), *others))), tmp_path)

    return make
