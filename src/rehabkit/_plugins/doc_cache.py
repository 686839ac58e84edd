"""A cache of the protocols and exercise libraries packs register as files, keyed by what the file holds.

Every command that reads the installed protocols used to parse every pack's documents (YAML, the schema, the
model): with 200 packs that was most of what ``rehabkit list`` or ``run --plan`` cost. A document read once is
kept here as its built model; the next command reads the file's bytes (a few microseconds) and takes the model
back when they are the same bytes (SHA-256), in a file of the same format, built by the same rehabkit (version
and schemas) on the same Python. Keyed by content rather than by modification time, an edit is never missed,
however quickly it follows the last read and whatever the file system's clock resolution.

Why a cache rather than parsing only what a command shows: ``list`` shows every protocol, and every command
that runs a protocol needs the registry's conflicts (two packs with one id) and the exercise libraries, so
each command would still have to read every document; a cache serves all of them.

Where: ``$REHABKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/rehabkit``, else ``~/.cache/rehabkit``; one file
per rehabkit version, written whole (temporary file and rename), readable by its owner only.
``REHABKIT_CACHE_DIR=off`` turns it off. The cache is never needed: a cache that cannot be read or written
(a read-only home, a damaged file) is ignored, and documents are parsed as before. A folder or file that is
not the user's alone (another owner, or writable by the group or anyone) is neither read nor written: a pickle
runs code as it loads. Only documents that
loaded and matched their schema are kept; a broken one is read (and reported) every time.

Each model is stored pickled on its own, beside a protocol's id, version, title and conditions: a protocol
comes back as a :class:`CachedProtocol` (that summary) and its model is read back only when used, so that
``list`` reads none back and ``show`` one.

Lint results of ``list`` are kept beside the models, under a fingerprint of everything the lint rules
read (the rules, the clinical policy, the outcome measures' scales and the exercise library).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._documents.loader import DEFAULT_LIMITS, Document, Limits, read_file
from ..model import Protocol

__all__ = ["CachedProtocol", "DocumentCache", "cache_dir", "fingerprint"]

#: Bumped when what is stored changes shape (2: each model pickled on its own, beside a protocol's summary).
_FORMAT = 2


def cache_dir(env: dict[str, str] | None = None) -> Path | None:
    """Where the cache lives (``None``: turned off)."""
    env = dict(os.environ) if env is None else env
    chosen = env.get("REHABKIT_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no", "false") else Path(chosen)
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rehabkit"


def _private(where: Path | int) -> bool:
    """True when a folder (a path) or an open file (a descriptor) is this user's alone: owned by them and not
    writable by their group or anyone else. A missing folder is private (rehabkit makes it 0700). Elsewhere than
    POSIX, where owners and modes do not say this, the answer is True."""
    if os.name != "posix":
        return True
    try:
        info = os.fstat(where) if isinstance(where, int) else os.stat(where)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return info.st_uid == os.geteuid() and not info.st_mode & 0o022


def _build_id() -> str:
    """This rehabkit's version and the hash of its schemas and model classes: a model built by another is not
    reused."""
    import hashlib  # on use: keeps start-up light

    from .._common.version import __version__
    from .._documents.schemas import LIBRARY_SCHEMA, PROTOCOL_SCHEMA, schema_text

    digest = hashlib.sha256()
    for name in (PROTOCOL_SCHEMA, LIBRARY_SCHEMA):
        digest.update(schema_text(name).encode("utf-8"))
    # The model classes too: a checkout whose model changed without a new version must not get old objects back.
    digest.update((Path(__file__).parent.parent / "model.py").read_bytes())
    return f"{__version__}-{digest.hexdigest()[:16]}-py{sys.version_info[0]}.{sys.version_info[1]}-f{_FORMAT}"


class DocumentCache:
    """Models built from document files, reused while the file holds the same bytes."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._entries: dict[str, Any] | None = None
        self._lint: dict[tuple[str, str], tuple[str, ...]] = {}
        #: The content key of each file read this run (the lint results are kept by it).
        self._keys: dict[str, str] = {}
        self._changed = False
        self._file: Path | None = None
        #: Documents parsed in this process, by absolute path (in memory, for this command only): linting a
        #: protocol just parsed (``list`` or ``run`` with a cold cache) then needs no second reading and parsing.
        self.parsed: dict[str, Document] = {}
        #: The format and bytes of each file whose model came from the cache this command, by absolute path:
        #: what :meth:`document` parses when the file's model must be checked.
        self._read: dict[str, tuple[str, bytes]] = {}
        self._pickled: dict[str, bytes] = {}

    @classmethod
    def from_environment(cls) -> DocumentCache:
        """The cache the environment chooses (see the module's documentation)."""
        return cls(cache_dir())

    def _load(self) -> dict[str, Any]:
        if self._entries is not None:
            return self._entries
        import pickle  # on use: keeps start-up light

        self._entries = {}
        if self.folder is None:
            return self._entries
        self._file = self.folder / f"documents-{_build_id()}.pickle"
        if not _private(self.folder):
            self.folder = None  # neither read nor written: unpickling a file someone else could write runs their code
            return self._entries
        try:
            with open(self._file, "rb") as handle:
                if not _private(handle.fileno()):
                    return self._entries
                stored = pickle.load(handle)
            if isinstance(stored, dict) and stored.get("format") == _FORMAT:
                self._entries = {key: (summary, model) for key, (summary, model) in stored["models"].items()}
                self._lint = dict(stored.get("lint", {}))
        except Exception:  # broad on purpose - no cache, an old one or a damaged one: documents are parsed as before
            self._entries, self._lint = {}, {}
        return self._entries

    def model(
        self,
        path: str,
        kind: str,
        build: Callable[[str, bytes], Any],
        limits: Limits = DEFAULT_LIMITS,
        *,
        lazy: bool = False,
    ) -> Any:
        """The model (of ``kind``) of the document file at ``path``: the cached one when the file holds the bytes
        it was built from, else ``build(format, bytes)``, whose exceptions pass through (only a model built without
        one is kept). Reading the file raises :class:`DocumentError` as loading it would.

        With ``lazy``, a cached protocol comes back as a :class:`CachedProtocol`: its id, version, title and
        conditions at once, the model itself read from the cache only when something uses it (``list`` and
        the lookups by id need no more, and 200 packs' models cost more to read back than everything else).
        """
        import hashlib  # on use: keeps start-up light

        fmt, raw = read_file(path, limits)
        if self.folder is None:
            return build(fmt, raw)
        key = f"{kind}:{fmt}:{hashlib.sha256(raw).hexdigest()}"
        self._keys[os.path.abspath(path)] = key
        entries = self._load()
        if key in entries:
            self._read[os.path.abspath(path)] = (fmt, raw)
            summary, stored = entries[key]
            if lazy and summary is not None and type(stored) is bytes:
                return CachedProtocol(summary, lambda: self._read_back(key, lambda: build(fmt, raw)))
            return self._read_back(key, lambda: build(fmt, raw))
        model = build(fmt, raw)
        entries[key] = (_summary(model), model)
        self._changed = True
        return model

    def mapping_model(self, text: str, build: Callable[[], Any]) -> tuple[str | None, Any]:
        """The protocol a pack registered as a mapping, whose JSON text (compact: its content) is ``text``, and the
        name :meth:`lint_codes` knows it by (None with the cache off): the cached model
        (lazily, as for a file) when a mapping with the same text was built before, else ``build()``, whose
        exceptions pass through. A mapping's text is its content: it is kept, with its lint results, as a file's."""
        import hashlib  # on use: keeps start-up light

        if self.folder is None:
            return None, build()
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        key, name = f"protocol:mapping:{digest}", f"<mapping {digest}>"
        self._keys[name] = key
        entries = self._load()
        if key in entries:
            summary, stored = entries[key]
            if summary is not None and type(stored) is bytes:
                return name, CachedProtocol(summary, lambda: self._read_back(key, build))
            return name, self._read_back(key, build)
        model = build()
        entries[key] = (_summary(model), model)
        self._changed = True
        return name, model

    def _read_back(self, key: str, build: Callable[[], Any]) -> Any:
        """The model stored under ``key``, unpickled once; built again if what is stored cannot be read."""
        assert self._entries is not None
        summary, stored = self._entries[key]
        if type(stored) is bytes:
            import pickle  # on use: keeps start-up light

            try:
                stored = pickle.loads(stored)
            except Exception:  # broad on purpose - a damaged entry: the file is parsed again, as without a cache
                stored = build()
                self._changed = True
            self._entries[key] = (summary, stored)
        return stored

    def document(self, path: str, limits: Limits = DEFAULT_LIMITS) -> Document | None:
        """The document of the file at ``path`` exactly as this command read it to build its model (parsed then,
        or now from the bytes kept), or None for a file it did not read; raises :class:`DocumentError` as
        loading would. Checking this rather than the file as it is now means checking what is used."""
        key = os.path.abspath(path)
        document = self.parsed.get(key)
        if document is None and key in self._read:
            from .._documents.loader import load_text

            fmt, raw = self._read[key]
            document = load_text(raw, path=path, fmt=fmt, limits=limits, defer_depth=True)
        return document

    def lint_codes(
        self,
        path: str | None,
        fingerprint: str,
        compute: Callable[[], tuple[str, ...]],
        keep: Callable[[tuple[str, ...]], bool] = lambda codes: True,
    ) -> tuple[str, ...]:
        """The lint error codes of the protocol read from ``path`` this run, under ``fingerprint`` (see
        :func:`fingerprint`): computed once while neither the file nor what the rules read changes. A result
        ``keep`` refuses (one in which a lint rule failed: a failure of the rule, not of the protocol) is computed
        again by the next command."""
        key = self._keys.get(_slot(path)) if path is not None and self.folder is not None else None
        if key is None:
            return compute()
        found = self._lint.get((key, fingerprint))
        if found is None:
            found = tuple(compute())
            if keep(found):
                self._lint[(key, fingerprint)] = found
                self._changed = True
        return found

    def save(self) -> None:
        """Write the cache back if anything was added (best effort: a failure is ignored).

        Kept: the models of the files read this run and of up to as many others (other environments' packs
        share the folder), and the lint results of those models under the fingerprints met last.
        """
        if not self._changed or self.folder is None or self._entries is None or self._file is None:
            return
        import pickle  # on use: keeps start-up light

        used = set(self._keys.values())
        others = [k for k in self._entries if k not in used][-max(len(used), 64) :]
        models = {k: self._entries[k] for k in (*used, *others) if k in self._entries}
        lint = dict(list((k, v) for k, v in self._lint.items() if k[0] in models)[-4 * max(len(models), 16) :])
        import tempfile  # only when something is written: tempfile costs start-up

        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".documents-", suffix=".tmp")
            try:
                # Each model pickled on its own, so that the next command reads back only those it uses (and
                # once: a command that saves twice, as list does after its lint, reuses the bytes).
                models = {
                    key: (
                        summary,
                        stored
                        if type(stored) is bytes
                        else self._pickled.get(key)
                        or self._pickled.setdefault(key, pickle.dumps(stored, pickle.HIGHEST_PROTOCOL)),
                    )
                    for key, (summary, stored) in models.items()
                }
                with os.fdopen(descriptor, "wb") as handle:
                    pickle.dump(
                        {"format": _FORMAT, "models": models, "lint": lint}, handle, protocol=pickle.HIGHEST_PROTOCOL
                    )
                os.replace(temporary, self._file)
            except BaseException:
                os.unlink(temporary)
                raise
        except Exception:  # broad on purpose - a read-only or full disk: the next command parses again
            return
        self._changed = False


def _slot(path: str) -> str:
    """How a document is known here: a file by its absolute path, a mapping by the name given (``<mapping ...>``)."""
    return path if path.startswith("<") else os.path.abspath(path)


def _summary(model: Any) -> tuple[str, str, str, tuple[str, ...]] | None:
    """What ``list`` and the lookups by id read of a protocol (None for anything else)."""
    if isinstance(model, Protocol):
        return (model.id, model.version, model.title, tuple(model.conditions))
    return None


class CachedProtocol:
    """A cached protocol whose model is not read back yet: its id, version, title and conditions, and
    :meth:`load` for the model. :class:`rehabkit.Registered` loads it when its ``item`` is first used;
    it compares and hashes as the model does."""

    __slots__ = ("_load", "conditions", "id", "title", "version")

    def __init__(self, summary: tuple[str, str, str, tuple[str, ...]], load: Callable[[], Any]) -> None:
        self.id, self.version, self.title, self.conditions = summary
        self._load = load

    @property
    def key(self) -> str:
        """``id@version``, as :attr:`rehabkit.Protocol.key`."""
        return f"{self.id}@{self.version}"

    def load(self) -> Protocol:
        """The protocol model (read back from the cache once)."""
        model: Protocol = self._load()
        return model

    def __eq__(self, other: object) -> bool:
        return self.load() == (other.load() if isinstance(other, CachedProtocol) else other)

    def __hash__(self) -> int:
        return hash(self.load())

    def __repr__(self) -> str:
        return f"<CachedProtocol {self.key}>"


def fingerprint(*parts: Any) -> str:
    """A stable digest of what lint results depend on (anything pickle can write)."""
    import hashlib  # on use: keeps start-up light
    import pickle  # on use: keeps start-up light

    return hashlib.sha256(pickle.dumps(parts, protocol=4)).hexdigest()
