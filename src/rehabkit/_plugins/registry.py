"""The registry: what the loaded packs contributed, by id, each tagged with its pack.

Two packs contributing the same protocol id and version, the same exercise id,
screening question id or lint-rule code is a conflict: neither contribution is
used and both packs are named.  For clinical content a silent override would
be unsafe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs

from .._documents.lint import LintRule
from ..model import Exercise, Protocol, RedFlagLibrary
from .doc_cache import CachedProtocol

__all__ = ["KINDS", "Conflict", "ContributionKind", "Contributions", "Registered", "Registry"]


@attrs.frozen(slots=True)
class Registered:
    """One contribution and the pack (and file, where there is one) it came from.

    ``Registered(item, pack, source)`` as ever; a protocol read from the document cache is held as its
    summary until :attr:`item` is first used (see :meth:`peek`).
    """

    _item: Any = attrs.field(alias="item")
    pack: str
    source: str | None = None
    #: The document a pack registered as a mapping, when one was kept (see :meth:`as_document`).
    document: Any = attrs.field(default=None, eq=False, repr=False)
    #: The name the document cache knows a protocol registered as a mapping by (its lint results are kept under
    #: it); None for anything else, or with the cache off.
    cache_name: str | None = attrs.field(default=None, eq=False, repr=False)
    #: What :attr:`item` makes of the contribution when first used (``find_protocol``: a protocol with the red-flag
    #: questions it takes from libraries written in); None: the contribution as registered.
    _resolve: Callable[[Any], Any] | None = attrs.field(default=None, eq=False, repr=False, alias="resolve")

    @property
    def lint_name(self) -> str | None:
        """What the document cache keeps this protocol's lint results under: its file, or its mapping's name."""
        return self.source if self.source is not None else self.cache_name

    @property
    def item(self) -> Any:
        """The contribution: a :class:`rehabkit.Protocol`, :class:`rehabkit.Exercise`, :class:`rehabkit.LintRule` ..."""
        item = self._item
        if type(item) is CachedProtocol:
            item = item.load()
            object.__setattr__(self, "_item", item)  # read back once
        if self._resolve is not None:
            item = self._resolve(item)
            object.__setattr__(self, "_item", item)
            object.__setattr__(self, "_resolve", None)  # made once
        return item

    def peek(self) -> Any:
        """The contribution, or for a protocol still in the cache an object with only its ``id``, ``version``,
        ``key``, ``title`` and ``conditions``: enough to list, sort and find protocols without reading them back."""
        return self._item

    def as_document(self) -> Any:
        """A document to check for an item a pack registered as a mapping: the one kept, else one rebuilt from the
        model."""
        if self.document is not None:
            return self.document
        from .._documents.loader import Document

        return Document.from_mapping(self.item.to_dict(), f"<pack {self.pack}>")


@attrs.frozen(slots=True)
class Conflict:
    """Several packs contributed the same thing under the same name."""

    kind: str
    name: str
    packs: tuple[str, ...]

    def describe(self) -> str:
        """One sentence naming the thing and every pack that contributed it."""
        packs = ", ".join(repr(p) for p in self.packs)
        return (
            f"conflict: {self.kind} {self.name!r} is contributed by packs {packs}; neither is used. "
            "Block one of them (-p no:NAME) or ask the pack authors to rename."
        )


@attrs.frozen(slots=True)
class ContributionKind:
    """One kind of contribution a pack makes through a ``rehabkit_register_*`` hook.

    ``attribute`` names the list in :class:`Contributions` and the table in
    :class:`Registry`; ``noun`` names the kind in messages; ``key`` gives an
    item's name in the registry (two packs with the same name conflict).
    """

    hook: str
    attribute: str
    noun: str
    key: Callable[[Any], str]


def _protocol_key(item: Protocol) -> str:
    return item.key


def _id(item: Any) -> str:
    return str(item.id)


def _code(item: LintRule) -> str:
    return item.code


def _name(item: Any) -> str:
    return str(item.name)


#: Every contribution hook, in the order packs are called: exercises first, as protocols registered later
#: may name them. A new contribution hook is its spec in hookspecs.py, a row here, a table on Registry and
#: its builder in the plugin manager (keyed by the same hook name); tests/test_hooks.py checks they agree.
KINDS: tuple[ContributionKind, ...] = (
    ContributionKind("rehabkit_register_exercises", "exercises", "exercise", _id),
    ContributionKind("rehabkit_register_screening", "screening", "screening question", _id),
    ContributionKind("rehabkit_register_lint_rules", "lint_rules", "lint rule", _code),
    ContributionKind("rehabkit_register_outcome_measures", "outcome_measures", "outcome measure", _id),
    ContributionKind("rehabkit_register_commands", "commands", "command", _name),
    ContributionKind("rehabkit_register_clinical_policy", "clinical_policy", "clinical policy setting", _name),
    ContributionKind("rehabkit_register_renderers", "renderers", "renderer", _name),
    ContributionKind("rehabkit_register_red_flag_libraries", "red_flag_libraries", "red-flag library", _id),
    ContributionKind("rehabkit_register_protocols", "protocols", "protocol", _protocol_key),
)


def _empty_lists() -> dict[str, list[Registered]]:
    return {kind.attribute: [] for kind in KINDS}


@attrs.define
class Contributions:
    """What one pack registered, staged until the pack has finished without error: a list per kind."""

    items: dict[str, list[Registered]] = attrs.Factory(_empty_lists)

    @classmethod
    def of(cls, **lists: list[Registered]) -> Contributions:
        """Contributions given by kind (``lint_rules=[...]``), for tests and tools."""
        staged = cls()
        for attribute, registered in lists.items():
            staged.items[attribute].extend(registered)
        return staged

    def counts(self) -> dict[str, list[str]]:
        """Names of everything staged, per kind, for ``rehabkit plugins``."""
        return {kind.attribute: [kind.key(r.peek()) for r in self.items[kind.attribute]] for kind in KINDS}


@attrs.define
class Registry:
    """Everything the loaded packs contributed, keyed by name, with conflicts set aside."""

    protocols: dict[str, Registered] = attrs.Factory(dict)
    exercises: dict[str, Registered] = attrs.Factory(dict)
    screening: dict[str, Registered] = attrs.Factory(dict)
    lint_rules: dict[str, Registered] = attrs.Factory(dict)
    outcome_measures: dict[str, Registered] = attrs.Factory(dict)
    #: Subcommands packs add to the ``rehabkit`` command line (click commands), by name.
    commands: dict[str, Registered] = attrs.Factory(dict)
    #: Clinical settings packs replaced, by name (``red_flags.required_signs``).
    clinical_policy: dict[str, Registered] = attrs.Factory(dict)
    #: Output formats (:class:`rehabkit.Renderer`), by name.
    renderers: dict[str, Registered] = attrs.Factory(dict)
    #: Red-flag libraries (:class:`rehabkit.RedFlagLibrary`) protocols take questions from, by id.
    red_flag_libraries: dict[str, Registered] = attrs.Factory(dict)
    conflicts: list[Conflict] = attrs.Factory(list)

    def add(self, contributions: Contributions) -> list[Conflict]:
        """Merge one pack's contributions; returns the conflicts it caused."""
        found: list[Conflict] = []
        for contribution in KINDS:
            kind, key_of = contribution.noun, contribution.key
            table: dict[str, Registered] = getattr(self, contribution.attribute)
            for registered in contributions.items[contribution.attribute]:
                key = key_of(registered.peek())
                existing = next((c for c in self.conflicts if c.kind == kind and c.name == key), None)
                if existing is not None:
                    conflict = attrs.evolve(existing, packs=(*existing.packs, registered.pack))
                    self.conflicts[self.conflicts.index(existing)] = conflict
                    found.append(conflict)
                elif key in table:
                    first = table.pop(key)
                    conflict = Conflict(kind=kind, name=key, packs=(first.pack, registered.pack))
                    self.conflicts.append(conflict)
                    found.append(conflict)
                else:
                    table[key] = registered
        return found

    def measure_scales(self) -> dict[str, tuple[float, float]]:
        """The scale of each criterion an installed outcome measure feeds (``odi-percent`` -> 0-100)."""
        return {r.item.criterion: r.item.scale for r in self.outcome_measures.values() if r.item.criterion}

    def policy(self) -> dict[str, Any]:
        """rehabkit's clinical defaults with the settings packs registered laid over them."""
        from .policy_settings import effective_policy

        return effective_policy(r.item for r in self.clinical_policy.values())

    def find_protocol(self, protocol_id: str, version: str | None = None) -> Registered:
        """The protocol with this id (the highest version unless ``version`` is given).

        Raises ``LookupError`` with a sentence saying what is installed instead.
        """
        if "@" in protocol_id and version is None:
            protocol_id, version = protocol_id.split("@", 1)
        candidates = [r for r in self.protocols.values() if r.peek().id == protocol_id]
        if version is not None:
            candidates = [r for r in candidates if r.peek().version == version]
        if candidates:
            found = max(candidates, key=lambda r: _semver_key(r.peek().version))
            return attrs.evolve(found, resolve=self.with_shared_red_flags)
        for conflict in self.conflicts:
            if conflict.kind == "protocol" and conflict.name.split("@")[0] == protocol_id:
                raise LookupError(conflict.describe())
        known = ", ".join(sorted({r.peek().id for r in self.protocols.values()})) or "none"
        wanted = f"{protocol_id}@{version}" if version else protocol_id
        raise LookupError(f"no installed protocol {wanted!r}. Installed: {known}. See 'rehabkit list'.")

    def sorted_protocols(self) -> Iterator[Registered]:
        """Protocols by id, then version."""
        return iter(sorted(self.protocols.values(), key=lambda r: (r.peek().id, _semver_key(r.peek().version))))

    def red_flag_library(self) -> dict[str, RedFlagLibrary]:
        """Installed red-flag libraries by id."""
        return {key: r.item for key, r in self.red_flag_libraries.items()}

    def with_shared_red_flags(self, protocol: Protocol) -> Protocol:
        """``protocol`` with the red-flag questions it takes from the installed libraries written under its
        ``red_flags``, for the clinical policy in force (a sign a pack's screening question covers, asked in every
        protocol, is not asked twice)."""
        if protocol.shared_red_flags is None:
            return protocol
        from .._documents.red_flag_refs import with_shared_red_flags

        covered = [sign for r in self.screening.values() for sign in r.item.covers]
        return with_shared_red_flags(protocol, self.red_flag_library(), self.policy()["red_flags"], covered)

    def exercise_library(self) -> dict[str, Exercise]:
        """Installed exercises by id."""
        return {key: r.item for key, r in self.exercises.items()}

    def measure(self, measure_id: str) -> Any:
        """The installed outcome measure with this id (case-insensitive).

        Raises ``LookupError`` with a sentence naming the installed measures.
        """
        registered = self.outcome_measures.get(measure_id.lower())
        if registered is None:
            known = ", ".join(sorted(self.outcome_measures)) or "none"
            raise LookupError(f"no installed outcome measure {measure_id!r}. Installed: {known}.")
        return registered.item

    def renderer_for(self, kind: str, file_type: str | None = None, name: str | None = None) -> Any:
        """The renderer to use: the one named ``name``, else the first that renders ``kind`` to ``file_type``,
        rehabkit's own (pack ``core``) before the packs'.

        Raises ``LookupError`` with a sentence saying what is installed instead.
        """
        usable = [r.item for r in self.renderers.values() if kind in r.item.kinds]
        if name is not None:
            found = self.renderers.get(name)
            if found is None or kind not in found.item.kinds:
                names = ", ".join(sorted(r.name for r in usable)) or "none"
                what = (
                    "no installed renderer"
                    if found is None
                    else f"the renderer {name!r} does not render {kind}s; no renderer"
                )
                raise LookupError(
                    f"{what} {name!r} for {kind}s. Renderers for {kind}s: {names} (see 'rehabkit plugins')."
                )
            if file_type is not None and file_type not in found.item.file_types:
                raise LookupError(
                    f"the renderer {name!r} writes {', '.join(found.item.file_types)} files, not {file_type}: "
                    f"name the output file {'|'.join(f'*.{t}' for t in found.item.file_types)}."
                )
            return found.item
        matching = sorted((r for r in usable if file_type in r.file_types), key=lambda r: (r.pack != "core", r.name))
        if not matching:
            types = sorted({t for r in usable for t in r.file_types})
            raise LookupError(
                f"no installed renderer writes {kind}s as .{file_type} files; the file types are: "
                f"{', '.join('.' + t for t in types) or 'none'}."
            )
        return matching[0]

    def rules(self) -> list[LintRule]:
        """Installed lint rules, by code."""
        return [self.lint_rules[code].item for code in sorted(self.lint_rules)]


def _semver_key(version: str) -> tuple[Any, ...]:
    core, _, pre = version.partition("-")
    numbers = tuple(int(p) for p in core.split(".") if p.isdigit())
    # a pre-release sorts before its release
    return (*numbers, 0 if pre else 1, pre)
