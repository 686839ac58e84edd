"""Discover, load and isolate plugin packs; collect what they register.

Packs are found through the entry-point group ``rehabkit``; the entry point's
name is the pack's name.  rehabkit's own built-ins (``default_plugins``) are
registered first, as the pack ``core``, through the same hooks.

Every pack is loaded inside its own ``try``: one that declares a hook API this
rehabkit does not provide is refused (status ``incompatible``, see
:mod:`rehabkit._plugins.compat`); one that fails to import, implements a hook that does
not exist or with arguments it is not offered, raises in a hook or registers
malformed data is reported by name (status ``failed``) and all it registered is
set aside; the rest keep working.  ``strict=True`` (``--strict`` or
``REHABKIT_STRICT_PLUGINS=1``) turns every such failure and every conflict into
a :class:`~rehabkit._common.errors.PluginError`.

Selection: ``REHABKIT_LOAD_PLUGINS=a,b`` loads only the packs named (empty:
no packs at all besides ``core``); ``REHABKIT_BLOCK_PLUGINS=a,b`` and the CLI's
``-p no:NAME`` block packs; ``-p NAME`` adds to the allow-list.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FunctionType, ModuleType
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from .. import hookspecs
from .._common.errors import DocumentError, PackInterrupted, PluginError
from .._common.version import HOOK_API_VERSION, __version__
from .._documents.builders import library_from_document, protocol_from_document, red_flag_library_from_document
from .._documents.lint import LintRule, forget_timed_out_rules
from .._documents.loader import DOCUMENT_SUFFIXES, Document, load_text
from .._documents.schemas import def_validator
from .._documents.validation import iter_document_files
from ..default_plugins import DEFAULT_PLUGINS
from ..model import Exercise, ScreeningQuestion
from .doc_cache import DocumentCache
from .entrypoints import ENTRY_POINT_GROUP, EntryPoint, entry_points
from .registry import KINDS, Contributions, Registered, Registry

if TYPE_CHECKING:
    from .._common.pack_budget import StillRunning

__all__ = [
    "CORE",
    "ENTRY_POINT_GROUP",
    "PackStatus",
    "PluginManager",
    "Selection",
]

CORE = "core"
# Statuses of packs that are not used and are reported as problems.
_BROKEN = ("failed", "incompatible")
#: Each contribution hook's row of the registry's table.
KIND_OF = {kind.hook: kind for kind in KINDS}
# In the registry's order (exercises first: protocols registered later may name them).
_REGISTER_HOOKS = tuple(kind.hook for kind in KINDS)


@attrs.frozen(slots=True)
class Selection:
    """Which packs may load: an allow-list (``None``: all) and a block-list."""

    allow: frozenset[str] | None = None
    block: frozenset[str] = frozenset()

    @classmethod
    def from_environment(cls, options: Sequence[str] = (), env: Mapping[str, str] | None = None) -> Selection:
        """Combine ``REHABKIT_LOAD_PLUGINS``, ``REHABKIT_BLOCK_PLUGINS`` and ``-p`` options."""
        env = os.environ if env is None else env
        allow: set[str] | None = None
        if "REHABKIT_LOAD_PLUGINS" in env:
            allow = set(_names(env["REHABKIT_LOAD_PLUGINS"]))
        block = set(_names(env.get("REHABKIT_BLOCK_PLUGINS", "")))
        for option in options:
            if option.startswith("no:"):
                block.add(option[3:])
            else:
                allow = (allow or set()) | {option}
        return cls(allow=frozenset(allow) if allow is not None else None, block=frozenset(block))

    def blocked_by(self, name: str) -> str | None:
        """Why ``name`` may not load, or ``None`` if it may."""
        if name in self.block:
            return "blocked (-p no:NAME or REHABKIT_BLOCK_PLUGINS)"
        if self.allow is not None and name not in self.allow:
            return "not in the allow-list (-p NAME or REHABKIT_LOAD_PLUGINS)"
        return None


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


@attrs.define
class PackStatus:
    """What ``rehabkit plugins`` shows about one pack."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    status: str = "loaded"
    #: The hook API version the pack declares (``REHABKIT_HOOK_API``), once it is imported.
    hook_api: int | None = None
    errors: list[str] = attrs.Factory(list)
    hooks: list[str] = attrs.Factory(list)
    registered: dict[str, list[str]] = attrs.Factory(dict)
    #: Documents the pack registered that could not be used, each named with why; the pack's others still are.
    set_aside: list[str] = attrs.Factory(list)

    def fail(self, message: str) -> None:
        """Mark the pack failed with one more error."""
        self.status = "failed"
        self.errors.append(message)

    def problem(self) -> str:
        """One line naming the pack and why it is not used."""
        verb = "is incompatible" if self.status == "incompatible" else "failed"
        return f"plugin pack {self.name!r} {verb}: {'; '.join(self.errors)}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return attrs.asdict(self)


_ABSENT = object()


class _Pluggy(pluggy.PluginManager):
    """pluggy's manager, reading a module's plain functions from its ``__dict__`` and noting the hooks it found.

    pluggy looks up every name a plugin module has with ``inspect.getattr_static`` (some microseconds a
    name, a tenth of loading 200 packs); for a module that lookup gives the ``__dict__`` value itself, so a
    plain function is read from there, with pluggy's own rule for its marker (a dict, else none), and a class
    or a value that cannot be called (a constant, an imported module) is no hook. Anything else callable (a
    function wrapped by a decorator, a proxy), and any plugin that is not a module, goes to pluggy's own
    ``parse_hookimpl_opts`` (its documented way to customise discovery), as the installed pluggy decides.
    ``found`` names the hooks the latest ``register`` found, so that a pack's hooks are known without
    ``get_hookcallers``, which searches every hook's implementations (quadratic in the packs installed).
    """

    def __init__(self, project_name: str) -> None:
        super().__init__(project_name)
        self.found: list[str] = []

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        value = plugin.__dict__.get(name, _ABSENT) if type(plugin) is ModuleType else _ABSENT
        if type(value) is FunctionType:  # exactly a plain function: its marker, as pluggy reads it
            opts = getattr(value, self.project_name + "_impl", None)
            if not isinstance(opts, dict):
                return None
        elif (
            value is not _ABSENT
            and (isinstance(value, type) or not callable(value))
            and not isinstance(value, (staticmethod, classmethod))
        ):
            return None  # a module's class, constant or imported module: never a hook (for pluggy neither)
        else:  # anything else callable (a wrapped function, a proxy) is pluggy's to judge
            opts = super().parse_hookimpl_opts(plugin, name)
            if opts is None:
                return None
        self.found.append(opts.get("specname") or name)
        return opts


class PluginManager:
    """Loads packs in isolation and builds the :class:`Registry` from their hooks."""

    def __init__(
        self,
        selection: Selection = Selection(),
        *,
        strict: bool = False,
        entry_points: Iterable[EntryPoint] | None = None,
    ) -> None:
        self.selection = selection
        self.strict = strict
        self.pm = _Pluggy("rehabkit")
        self.pm.add_hookspecs(hookspecs)
        self.packs: dict[str, PackStatus] = {}
        self._entry_points = entry_points
        self._registry: Registry | None = None
        self._registry_hooks: frozenset[str] = frozenset()
        self._after_load: dict[str, tuple[str, tuple[str, ...]]] = {}
        #: Models of the packs' document files, kept between commands (see :mod:`rehabkit._plugins.doc_cache`).
        self.cache = DocumentCache.from_environment()

    @classmethod
    def from_environment(cls, options: Sequence[str] = (), strict: bool | None = None) -> PluginManager:
        """A manager configured from the environment and ``-p`` options."""
        if strict is None:
            strict = strict_from_environment()
        return cls(Selection.from_environment(options), strict=strict)

    # --- loading ---------------------------------------------------------

    def load(self) -> None:
        """Register the core built-ins, then every selected entry-point pack."""
        forget_timed_out_rules()  # a rule stopped for taking too long in an earlier load may have been fixed
        core = PackStatus(
            name=CORE, module="rehabkit.default_plugins", distribution="rehabkit", hook_api=HOOK_API_VERSION
        )
        core.version = __version__
        self.packs[CORE] = core
        for module_name in DEFAULT_PLUGINS:
            self.pm.register(importlib.import_module(module_name), name=f"{CORE}:{module_name}")
        core.hooks = self._hooks_of(CORE)  # an entry-point pack's hooks are recorded as it registers
        from .._common.pack_budget import StillRunning

        with StillRunning() as notice:  # names a pack whose import runs longer than the budget
            for entry_point in self._discover():
                self._load_entry_point(entry_point, notice)
        self._after_load = {name: (p.status, tuple(p.errors)) for name, p in self.packs.items()}
        if self.strict:
            try:
                self.pm.check_pending()
            except pluggy.PluginValidationError as exc:
                name = _pack_of(self.pm.get_name(exc.plugin) or str(exc.plugin))
                raise PluginError(f"plugin pack {name!r}: {exc}", plugins=(name,)) from None
            self._raise_failures()

    def _discover(self) -> list[EntryPoint]:
        found = self._entry_points
        if found is None:
            found = entry_points(ENTRY_POINT_GROUP)
        return sorted(found, key=lambda ep: ep.name)

    def _load_entry_point(self, entry_point: EntryPoint, notice: StillRunning | None = None) -> None:
        name = entry_point.name
        status = PackStatus(
            name=name,
            module=entry_point.value,
            distribution=entry_point.distribution,
            version=entry_point.version,
        )
        if name == CORE or name in self.packs:
            other = self.packs[name].distribution if name in self.packs else "rehabkit"
            status.fail(
                f"the pack name {name!r} is already used by distribution {other!r}: "
                f"rename the entry point in {status.distribution!r}."
            )
            self.packs[f"{name} ({status.distribution})"] = status
            return
        self.packs[name] = status
        reason = self.selection.blocked_by(name)
        if reason:
            status.status = "blocked"
            status.errors.append(reason)
            self.pm.set_blocked(name)
            return
        try:
            if notice is not None:
                notice.step(
                    f"rehabkit: plugin pack {name!r} is still being imported after {{seconds}} s. If it hangs, press "
                    f"Ctrl-C and block it with -p no:{name} (or REHABKIT_BLOCK_PLUGINS={name})."
                )
            with pack_code(name, "being imported", budget=False):
                plugin = entry_point.load()
        except PackFailure as exc:  # a pack's import may raise anything, even SystemExit
            status.fail(f"failed to import {entry_point.value!r}: {exc}")
            return
        finally:
            if notice is not None:
                notice.step(None)  # an import is what the notice watches: what follows is no longer it
        from .compat import declared_hook_api, hook_api_problem

        status.hook_api = declared_hook_api(plugin)
        problem = hook_api_problem(plugin, name, status.distribution, entry_point.info_dir)
        if problem:
            status.status = "incompatible"
            status.errors.append(problem)
            return
        self._register_pack(plugin, status)

    def _register_pack(self, plugin: Any, status: PackStatus) -> None:
        """Register one pack's module with pluggy, checking every hook it implements.

        A hook implementation with arguments its hook does not offer, a
        ``@hookimpl`` whose name is not a hook, or a ``rehabkit_*`` function
        without ``@hookimpl`` fails the pack, and it is unregistered so that none
        of its hooks (a progression policy, a command) is called.
        """
        from .compat import undecorated_hooks, unknown_hook_problems

        name = status.name
        self.pm.found = []
        try:
            self.pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            status.fail(
                f"is not a valid rehabkit plugin: {' '.join(str(exc).split())}. "
                "docs/hooks.md lists each hook's arguments; an implementation may take any subset of them."
            )
            if self.pm.has_plugin(name):
                self.pm.unregister(name=name)
            return
        callers = [getattr(self.pm.hook, hook) for hook in dict.fromkeys(self.pm.found)]
        status.hooks = sorted(caller.name for caller in callers)
        problems = unknown_hook_problems((c.name for c in callers if not c.has_spec()), self._hook_names())
        problems += undecorated_hooks(plugin)
        for problem in problems:
            status.fail(problem)
        if problems:
            self.pm.unregister(name=name)

    def _hook_names(self) -> list[str]:
        return [name for name in dir(hookspecs) if name.startswith("rehabkit_")]

    def _hooks_of(self, pack: str) -> list[str]:
        hooks: set[str] = set()
        for plugin_name, plugin in self.pm.list_name_plugin():
            if _pack_of(plugin_name) == pack:
                hooks.update(caller.name for caller in self.pm.get_hookcallers(plugin) or ())
        return sorted(hooks)

    # --- collecting --------------------------------------------------------

    def registry(
        self,
        *,
        protocols: bool = True,
        exercises: bool = True,
        measures: bool = True,
        renderers: bool = True,
        red_flags: bool = True,
    ) -> Registry:
        """Call the packs' register hooks once and return the merged registry.

        ``protocols=False`` skips the protocols hook, ``exercises=False`` the
        exercises hook and ``measures=False`` the outcome-measures hook, so that
        commands which do not need them need not parse every pack's documents
        or build its measures (``validate`` asks for the exercise library only
        when a document names an exercise it does not define); ``renderers=False``
        skips the renderers hook (only the output commands and ``plugins`` use it), ``red_flags=False`` the
        red-flag libraries hook (``validate`` reads them only for a protocol that takes questions from one). A
        registry built
        with more hooks serves later calls that ask for fewer. Strict mode always
        builds the full registry, so CI sees every failure.
        """
        skipped = {
            "rehabkit_register_protocols": not protocols,
            "rehabkit_register_exercises": not exercises,
            "rehabkit_register_outcome_measures": not measures,
            "rehabkit_register_renderers": not renderers,
            "rehabkit_register_red_flag_libraries": not red_flags,
        }
        wanted = frozenset(hook for hook in _REGISTER_HOOKS if self.strict or not skipped.get(hook, False))
        if self._registry is None or not wanted <= self._registry_hooks:
            hooks = wanted | self._registry_hooks
            self._registry = self._build_registry([h for h in _REGISTER_HOOKS if h in hooks])
            self._registry_hooks = hooks
        return self._registry

    def _build_registry(self, hooks: Sequence[str]) -> Registry:
        for name, (load_status, load_errors) in self._after_load.items():  # a rebuild starts from the load result
            loaded = self.packs[name]
            loaded.status, loaded.errors, loaded.registered, loaded.set_aside = load_status, list(load_errors), {}, []
        staged: dict[str, Contributions] = {}
        for hook_name in hooks:
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                pack = _pack_of(impl.plugin_name)
                status = self.packs[pack]
                # A pack that already failed is still called, so that its author sees every error at once.
                contributions = staged.setdefault(pack, Contributions())
                register = _Registrar(hook_name, pack, contributions, status, self.cache)
                arguments = {"register": register}
                try:
                    with pack_code(pack, f"running its hook {hook_name}"):
                        impl.function(**{arg: arguments[arg] for arg in impl.argnames})
                except PackFailure as exc:
                    status.fail(f"hook {hook_name} {exc.what()}")
        registry = Registry()
        for pack in [CORE, *sorted(p for p in staged if p != CORE)]:
            if pack not in staged:
                continue
            status = self.packs[pack]
            status.registered = staged[pack].counts()
            if status.status != "loaded":
                continue
            registry.add(staged[pack])
        for conflict in registry.conflicts:
            for pack in conflict.packs:
                message = conflict.describe()
                if message not in self.packs[pack].errors:
                    self.packs[pack].errors.append(message)
        self.cache.save()
        if self.strict:
            self._raise_failures(registry)
        return registry

    def _raise_failures(self, registry: Registry | None = None) -> None:
        failed = [p for p in self.packs.values() if p.status in _BROKEN or p.set_aside]
        if failed:
            lines = [
                p.problem() if p.status in _BROKEN else f"plugin pack {p.name!r}: {'; '.join(p.set_aside)}"
                for p in failed
            ]
            raise PluginError("\n".join(lines), plugins=tuple(p.name for p in failed))
        if registry is not None and registry.conflicts:
            raise PluginError(
                "\n".join(c.describe() for c in registry.conflicts),
                plugins=tuple(p for c in registry.conflicts for p in c.packs),
            )

    def decide(self, plan: Any, result: Any, facts: Any) -> Any:
        """The progression decision after a session: the first pack policy that answers, else rehabkit's default.

        Called one implementation at a time, in pluggy's order (the last registered first, tryfirst and
        trylast respected), so that a policy that raises or answers with something that is not a
        :class:`rehabkit.Decision` is named: a :class:`PluginError` says which pack and what it did.
        """
        from .._common.vocabulary import SYMPTOM_ACTIONS
        from ..engine import Decision

        unused = {id(p) for p in self._unused_plugins()}
        arguments = {"plan": plan, "result": result, "facts": facts}
        for impl in reversed(self.pm.hook.rehabkit_progression_decision.get_hookimpls()):
            if id(impl.plugin) in unused:
                continue
            pack = _pack_of(impl.plugin_name)
            try:
                with pack_code(pack, "running its progression policy"):
                    answer = impl.function(**{arg: arguments[arg] for arg in impl.argnames})
            except PackFailure as exc:
                raise PluginError(
                    f"plugin pack {pack!r}: its progression policy {exc.what()}; the session's "
                    f"decision could not be made. Block the pack with -p no:{pack}.",
                    plugins=(pack,),
                ) from None
            if answer is None:
                continue
            if not isinstance(answer, Decision) or answer.action not in (*SYMPTOM_ACTIONS, "progress"):
                raise PluginError(
                    f"plugin pack {pack!r}: its progression policy answered {_short(answer)}, which is not a "
                    f"rehabkit.Decision with a known action; block the pack with -p no:{pack}.",
                    plugins=(pack,),
                )
            return answer
        raise PluginError("no progression policy answered (rehabkit's own is missing)")

    def _unused_plugins(self) -> list[Any]:
        # A pack that failed while registering (after loading) is still registered with
        # pluggy; its policy or commands must not be used either.
        return [
            plugin
            for plugin_name, plugin in self.pm.list_name_plugin()
            if _pack_of(plugin_name) in self.packs and self.packs[_pack_of(plugin_name)].status != "loaded"
        ]

    def problems(self) -> list[str]:
        """One line per failed pack, document a pack set aside, or conflict, for warnings on stderr."""
        lines = [p.problem() for p in self.packs.values() if p.status in _BROKEN]
        lines += [
            f"plugin pack {p.name!r}: {what.rstrip('.')}; its other protocols are used."
            for p in self.packs.values()
            if p.status not in _BROKEN
            for what in p.set_aside
        ]
        if self._registry is not None:
            lines += [c.describe() for c in self._registry.conflicts]
        return lines


def strict_from_environment(env: Mapping[str, str] | None = None) -> bool:
    """True when ``REHABKIT_STRICT_PLUGINS`` asks for strict plugin loading."""
    env = os.environ if env is None else env
    return env.get("REHABKIT_STRICT_PLUGINS", "").strip().lower() not in ("", "0", "false", "no")


def _pack_of(plugin_name: str) -> str:
    return CORE if plugin_name.startswith(f"{CORE}:") else plugin_name


class _Registrar:
    """The ``register`` callback handed to one pack's hook: validates, builds, stages."""

    def __init__(
        self, hook: str, pack: str, staged: Contributions, status: PackStatus, cache: DocumentCache | None = None
    ) -> None:
        self.cache = cache or DocumentCache(None)
        self.hook = hook
        self.pack = pack
        self.staged = staged
        self.status = status
        self._add: Callable[[Any], None] = getattr(self, f"_{hook.removeprefix('rehabkit_register_')}")
        self._staged: list[Registered] = staged.items[KIND_OF[hook].attribute]

    def __call__(self, item: Any) -> None:
        from .._common.pack_budget import paused

        try:
            with paused():  # rehabkit's work on what a pack registers is not the pack's time
                self._add(item)
        except _Rejected as exc:
            self.status.fail(f"{self.hook} registered {exc}")

    def _protocols(self, item: Any) -> None:
        # A protocol document that cannot be read or does not match the schema is set aside by itself, named:
        # the pack's other protocols stay usable (strict mode makes it fatal).
        if isinstance(item, (str, os.PathLike)):
            for name in _files(item):
                try:
                    # The file's name is bound now: a damaged cached model is parsed again when it is first used,
                    # after this loop has moved on to the next file.
                    build = functools.partial(_protocol_file, name, parsed=self.cache.parsed)
                    protocol = self.cache.model(name, "protocol", build, lazy=True)
                except _NotMatching as exc:
                    self.status.set_aside.append(
                        f"the protocol {name} does not match the schema: {_one_line(exc.error)}"
                    )
                except DocumentError as exc:
                    self.status.set_aside.append(f"the protocol {name} could not be read: {_one_line(exc)}")
                else:
                    self._staged.append(Registered(protocol, self.pack, name))
        elif isinstance(item, Mapping):
            self._add_mapping(item)
        else:
            raise _Rejected(f"{_short(item)}: expected a protocol document (a mapping) or the path of one")

    def _add_mapping(self, item: Mapping[str, Any]) -> None:
        """A protocol registered as a mapping: built once and kept in the document cache by its JSON text, as a
        file's protocol is by its bytes, so that a later command neither builds nor lints it again."""
        text = _mapping_text(item)
        try:
            name, protocol = self.cache.mapping_model(text, functools.partial(_protocol_of_mapping, item, self.pack))
        except DocumentError as exc:
            what = f"registered as a mapping (id {item.get('id')!r})"
            self.status.set_aside.append(f"the protocol {what} does not match the schema: {_one_line(exc)}")
            return
        # Only the model is kept: the document's text and data would triple what a pack's protocols cost in memory
        # (a check rebuilds a document from the model when one is needed: Registered.as_document()).
        self._staged.append(Registered(protocol, self.pack, None, cache_name=name))

    def _exercises(self, item: Any) -> None:
        if not isinstance(item, (str, os.PathLike)):
            self._staged.append(Registered(_build(Exercise, "exercise", item), self.pack))
            return
        for name in _files(item):
            try:
                library = self.cache.model(name, "exercise-library", functools.partial(_library_file, name))
            except DocumentError as exc:
                raise _Rejected(f"an exercise library that could not be used: {exc}") from None
            self._staged.extend(Registered(e, self.pack, name) for e in library.exercises)

    def _red_flag_libraries(self, item: Any) -> None:
        if isinstance(item, Mapping):
            try:
                library = red_flag_library_from_document(_document_from_mapping(item, f"<pack {self.pack}>"))
            except DocumentError as exc:
                raise _Rejected(f"a red-flag library that could not be used: {_one_line(exc)}") from None
            self._staged.append(Registered(library, self.pack))
            return
        if not isinstance(item, (str, os.PathLike)):
            raise _Rejected(f"{_short(item)}: expected a red-flag library document (a mapping) or the path of one")
        for name in _files(item):
            try:
                library = self.cache.model(name, "red-flag-library", functools.partial(_red_flag_library_file, name))
            except DocumentError as exc:
                raise _Rejected(f"a red-flag library that could not be used: {_one_line(exc)}") from None
            self._staged.append(Registered(library, self.pack, name))

    def _screening(self, item: Any) -> None:
        self._staged.append(Registered(_build(ScreeningQuestion, "screeningQuestion", item), self.pack))

    def _outcome_measures(self, item: Any) -> None:
        measure = attrs.evolve(_measure(item), pack=self.pack)
        self._staged.append(Registered(measure, self.pack))

    def _commands(self, item: Any) -> None:
        import click

        from .command_table import COMMANDS

        if not isinstance(item, click.Command):
            raise _Rejected(f"{_short(item)}: expected a click.Command (made with @click.command)")
        if not item.name or not item.name.replace("-", "").replace("_", "").isalnum():
            raise _Rejected(f"a command with the name {item.name!r}: use letters, digits and '-'")
        if item.name in COMMANDS:
            raise _Rejected(f"a command named {item.name!r}, which is a built-in rehabkit command: choose another name")
        self._staged.append(Registered(item, self.pack))

    def _clinical_policy(self, item: Any) -> None:
        from .policy_settings import settings_from

        try:
            settings = settings_from(item)
        except ValueError as exc:
            raise _Rejected(f"a clinical policy that cannot be used: {exc}") from None
        self._staged.extend(Registered(setting, self.pack) for setting in settings)

    def _renderers(self, item: Any) -> None:
        from .._outputs.content import Renderer

        if not isinstance(item, Renderer):
            raise _Rejected(f"{_short(item)}: expected a rehabkit.Renderer")
        if not item.name or not item.name.replace("-", "").replace("_", "").isalnum():
            raise _Rejected(f"a renderer with the name {item.name!r}: use letters, digits and '-'")
        if not callable(item.function):
            raise _Rejected(f"the renderer {item.name!r}, whose function is not callable")
        self._staged.append(Registered(attrs.evolve(item, pack=self.pack), self.pack))

    def _lint_rules(self, item: Any) -> None:
        if not isinstance(item, LintRule):
            raise _Rejected(f"{_short(item)}: expected a rehabkit.LintRule")
        self._staged.append(Registered(attrs.evolve(item, pack=self.pack), self.pack))


class PackFailure(Exception):
    """A pack's own code raised (anything, even SystemExit) or ran out of its time budget; the message names the
    exception, on one line (its control characters, newlines included, written out)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        #: True when the code was stopped because it took longer than its budget (REHABKIT_PACK_TIMEOUT).
        self.timed_out = timed_out

    def what(self) -> str:
        """What the code did, completing "its hook X ...": "raised ValueError: ..." or "took longer than ..."."""
        return str(self) if self.timed_out else f"raised {self}"


@contextlib.contextmanager
def pack_code(pack: str, where: str, *, budget: bool = True) -> Iterator[None]:
    """Run a pack's code: its output goes to standard error (stdout carries rehabkit's reports and JSON), and
    whatever it raises becomes a :class:`PackFailure`, except the user's Ctrl-C, which names the pack and stops.

    With ``budget``, the code has REHABKIT_PACK_TIMEOUT seconds (see :mod:`rehabkit._common.pack_budget`); when
    they run out it is stopped and becomes a :class:`PackFailure` too. A KeyboardInterrupt the pack raised itself,
    with no Ctrl-C pressed, is the pack failing like any other exception."""
    from .._common.pack_budget import PackTimedOut, watched

    watch = None
    try:
        with contextlib.redirect_stdout(sys.stderr), watched(budget=budget) as watch:
            yield
    except BaseException as exc:  # SystemExit, GeneratorExit or a pack's own BaseException: the pack failed
        if watch.by_the_user(exc) if watch is not None else isinstance(exc, KeyboardInterrupt):
            raise PackInterrupted(
                f"interrupted while plugin pack {pack!r} was {where}. If it hangs, block it with -p no:{pack} "
                f"(or REHABKIT_BLOCK_PLUGINS={pack})."
            ) from None
        if isinstance(exc, PackTimedOut):
            raise PackFailure(str(exc), timed_out=True) from None
        from .._common.text import visible

        # One line, whatever the pack's message holds: it is shown in warnings, in 'plugins' and in errors.
        raise PackFailure(visible(f"{type(exc).__name__}: {exc}")) from None


def _one_line(exc: Exception) -> str:
    """An error's first finding (or message) on one line, with how many more there are."""
    findings = getattr(exc, "findings", None)
    if findings:
        first = findings[0]
        where = f"{first.line}:{first.column or 1}: " if first.line else ""
        more = f" (and {len(findings) - 1} more; 'rehabkit validate' lists them)" if len(findings) > 1 else ""
        return f"{where}{first.code} {first.message}{more}"
    return " ".join(str(exc).split())


def _files(item: str | os.PathLike[str]) -> list[str]:
    path = Path(item)
    files = list(iter_document_files(path)) if path.is_dir() else [str(path)]
    if not files:
        raise _Rejected(f"the directory {str(path)!r}, which holds no {'/'.join(DOCUMENT_SUFFIXES)} files")
    return files


class _Rejected(Exception):
    """A registration that is not acceptable; the message completes 'registered ...'."""


class _NotMatching(Exception):
    """A protocol file that was read but does not match the schema (``error`` says how)."""

    def __init__(self, error: DocumentError) -> None:
        super().__init__(str(error))
        self.error = error


def _protocol_file(name: str, fmt: str, raw: bytes, parsed: dict[str, Document]) -> Any:
    """The protocol in a pack's file; the parsed document is kept in ``parsed`` for the lint rules."""
    document = load_text(raw, path=name, fmt=fmt)
    try:
        protocol = protocol_from_document(document)
    except DocumentError as exc:  # read, but not a protocol that matches the schema
        raise _NotMatching(exc) from None
    parsed[os.path.abspath(name)] = document
    return protocol


def _library_file(name: str, fmt: str, raw: bytes) -> Any:
    """The exercise library in a pack's file."""
    return library_from_document(load_text(raw, path=name, fmt=fmt))


def _red_flag_library_file(name: str, fmt: str, raw: bytes) -> Any:
    """The red-flag library in a pack's file."""
    return red_flag_library_from_document(load_text(raw, path=name, fmt=fmt))


def _measure(item: Any) -> Any:
    from ..engine.outcomes import OutcomeMeasure

    if isinstance(item, OutcomeMeasure):
        return item
    if not isinstance(item, Mapping):
        raise _Rejected(f"{_short(item)}: expected a rehabkit.OutcomeMeasure or a mapping in its form")
    try:
        return OutcomeMeasure.from_dict(item)
    except (KeyError, TypeError, ValueError) as exc:
        raise _Rejected(f"an invalid outcome measure {item.get('id', '')!r}: {type(exc).__name__}: {exc}") from None


def _mapping_text(item: Mapping[str, Any]) -> str:
    """A pack's mapping as compact JSON text, its content for the document cache (rejected if not plain data, as
    :meth:`Document.from_mapping` rejects it). Compact, so that the C encoder writes it: an indented text is written
    by Python's own encoder, ten times slower, which was most of what a ``list`` of 100,000 cached mappings cost."""
    import json

    try:
        return json.dumps(item, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise _Rejected(f"a mapping that is not plain JSON data ({exc})") from None


def _protocol_of_mapping(item: Mapping[str, Any], pack: str) -> Any:
    """The protocol a pack registered as a mapping; raises :class:`DocumentError` (placed in the mapping's indented
    JSON text)."""
    return protocol_from_document(_document_from_mapping(item, f"<pack {pack}>"))


def _document_from_mapping(item: Mapping[str, Any], name: str) -> Document:
    try:
        return Document.from_mapping(item, name)
    except (TypeError, ValueError) as exc:
        raise _Rejected(f"a mapping that is not plain JSON data ({exc})") from None


def _build(cls: Any, definition: str, item: Any) -> Any:
    if not isinstance(item, Mapping):
        raise _Rejected(f"{_short(item)}: expected a mapping in the schema's {definition!r} form")
    document = _document_from_mapping(item, f"<{definition}>")
    findings = def_validator(definition).findings(document)
    if findings:
        detail = "; ".join(f"{f.json_path}: {f.message}" for f in findings[:3])
        raise _Rejected(f"an invalid {definition} {item.get('id', '')!r}: {detail}")
    return cls.from_dict(document.data)


def _short(item: Any) -> str:
    text = repr(item)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(item).__name__})"
