"""``rehabkit new-plugin``: generate a pack that installs, validates, tests and shows up at once.

The templates beside this module are filled in with :class:`string.Template`
(``${name}``); they are not ``.yaml``/``.json`` files, so ``rehabkit validate``
run over rehabkit's own tree does not take them for documents.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from string import Template

import attrs

from ..._common.errors import RehabkitError

__all__ = ["PackNames", "ScaffoldError", "create_pack", "pack_names"]

HERE = Path(__file__).parent
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_RESERVED = {"core", "rehabkit", "test", "tests"}


class ScaffoldError(RehabkitError, ValueError):
    """A pack name that cannot be used, or a folder that already exists; the message says what to do."""


@attrs.frozen(slots=True)
class PackNames:
    """Every name derived from the one the user gave."""

    folder: str
    pack: str
    distribution: str
    module: str
    code_prefix: str
    protocol_id: str


def pack_names(name: str) -> PackNames:
    """Check ``name`` and derive the pack's names from it.

    ``myclinic`` and ``rehabkit-myclinic`` both give the pack (entry-point name)
    ``myclinic``, the distribution ``rehabkit-myclinic`` and the module
    ``rehabkit_myclinic``; the folder is ``name`` as given.
    """
    if not _NAME.fullmatch(name) or len(name) > 60:
        raise ScaffoldError(
            f"{name!r} is not a usable pack name: use lower-case letters, digits and single hyphens, "
            "starting with a letter and at most 60 characters (for example 'myclinic' or 'north-clinic')."
        )
    pack = name.removeprefix("rehabkit-")
    if pack in _RESERVED:
        raise ScaffoldError(f"{pack!r} is reserved by rehabkit: choose another pack name.")
    letters = re.sub(r"[^a-z]", "", pack).upper()
    if len(letters) < 2:
        raise ScaffoldError(f"{name!r} needs at least two letters, which also make its lint-rule codes.")
    prefix = letters[:3]
    if prefix.startswith("RK"):  # RK codes are rehabkit's own; --select RK would catch the pack's too
        prefix = "X" + prefix[:2]
    distribution = f"rehabkit-{pack}"
    return PackNames(
        folder=name,
        pack=pack,
        distribution=distribution,
        module=distribution.replace("-", "_"),
        code_prefix=prefix,
        protocol_id=f"{pack}-sample",
    )


def create_pack(name: str, parent: str | os.PathLike[str] = ".", installed: frozenset[str] = frozenset()) -> Path:
    """Write a new pack into ``parent/name`` and return its folder.

    Refuses (with :class:`ScaffoldError`) a bad name, a name an installed pack
    already uses (``installed``), or a folder that exists. Nothing is written
    unless everything can be.
    """
    from ..._common.version import HOOK_API_VERSION, __version__

    names = pack_names(name)
    if names.pack in installed:
        raise ScaffoldError(
            f"a pack named {names.pack!r} is already installed ('rehabkit plugins' shows it); "
            "two packs with one name cannot both load: choose another name."
        )
    root = Path(parent) / names.folder
    if root.exists() or root.is_symlink():
        raise ScaffoldError(f"{str(root)!r} already exists; new-plugin never overwrites: choose another name or --dir.")
    if not Path(parent).is_dir():
        raise ScaffoldError(f"{str(parent)!r} is not a folder: create it first or choose another --dir.")
    values = {
        **attrs.asdict(names),
        "prefix": names.pack,
        "hook_api": str(HOOK_API_VERSION),
        "rehabkit_version": __version__,
    }
    files = {
        "pyproject.toml": "pyproject.toml.tmpl",
        "README.md": "README.md.tmpl",
        ".gitignore": "gitignore.tmpl",
        f"src/{names.module}/__init__.py": "__init__.py.tmpl",
        f"src/{names.module}/rules.py": "rules.py.tmpl",
        f"src/{names.module}/protocols/{names.protocol_id}.yaml": "protocol.yaml.tmpl",
        f"tests/test_{names.module}.py": "test_pack.py.tmpl",
    }
    rendered = {
        path: Template((HERE / template).read_text(encoding="utf-8")).substitute(values)
        for path, template in files.items()
    }
    root.mkdir()
    for path, text in rendered.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root
