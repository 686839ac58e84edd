"""Check protocol files: load, schema, model, lint; one file or thousands on every core.

``Checker`` holds what a check needs (the schema validator, the installed
exercise library and the lint rules) and turns one file into a list of
findings.  ``check_paths`` expands directories and, for large batches, spreads
files over worker processes forked with the checker already in memory.
"""

from __future__ import annotations

import errno
import os
from collections import ChainMap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .._common.errors import DocumentError, Finding, format_json_path
from ..model import Exercise, Protocol, RedFlagLibrary
from .builders import InvalidDocument, document_kind, library_from_document, model_from_document, protocol_from_document
from .lint import RULE_CRASH_CODE, LintContext, LintRule, run_rules
from .loader import DEFAULT_LIMITS, DOCUMENT_SUFFIXES, Document, Limits, load_file
from .schemas import SCHEMA_CODE

if TYPE_CHECKING:
    import datetime

__all__ = [
    "FAILURE_CODES",
    "INTERNAL_ERROR_CODE",
    "NO_FILES_CODE",
    "Checker",
    "InvalidDocument",
    "check_paths",
    "document_kind",
    "iter_document_files",
    "library_exercises",
    "library_from_document",
    "model_from_document",
    "protocol_from_document",
]

#: Finding code for something that cannot be read (a file, or a directory of them).
READ_ERROR_CODE = "RK001"
#: Finding code for a directory that holds no protocol documents.
NO_FILES_CODE = "RK010"
#: Finding code for a failure of rehabkit itself (exit code 3).
INTERNAL_ERROR_CODE = "RK000"
#: Codes that mean rehabkit or a plugin failed, not the document (exit code 3).
FAILURE_CODES = frozenset({INTERNAL_ERROR_CODE, RULE_CRASH_CODE})
# Below this many files, starting worker processes costs more than it saves.
#: The least number of files worth a worker process of its own.
FILES_PER_WORKER = 250
_PARALLEL_THRESHOLD = 64


def library_exercises(files: Iterable[str], limits: Limits | None = None) -> dict[str, Exercise]:
    """Exercises of the valid exercise-library documents among ``files`` (others are skipped; a later file's
    exercise wins over an earlier one's with the same id).

    ``rehabkit validate`` uses them so that protocols can be checked together
    with the library they name, before that library is installed.
    """
    limits = limits or Limits()
    found: dict[str, Exercise] = {}
    for name in files:
        try:
            document = load_file(name, limits)
            if document_kind(document) != "exercise-library":
                continue
            library = library_from_document(document)
        except (OSError, DocumentError):
            continue  # reported when the file itself is checked
        found.update((e.id, e) for e in library.exercises)
    return found


def iter_document_files(path: Path, unreadable: list[tuple[str, str]] | None = None) -> Iterator[str]:
    """Every .json/.yaml/.yml entry below ``path``, sorted, skipping hidden entries.

    Symbolic links are followed (packs link to their protocol folders) but each
    real directory is visited once. The walk keeps its own stack, so no folder
    depth can exhaust Python's recursion; a directory that cannot be read is
    added to ``unreadable`` as (path, reason) rather than skipped in silence.
    """
    for name, _ in _walk(path, unreadable):
        yield name


def _walk(path: Path, unreadable: list[tuple[str, str]] | None) -> Iterator[tuple[str, object]]:
    """:func:`iter_document_files` with each file's identity: (device, inode) where the directory listing
    gives it without a system call (a plain file), else its real path (a link, or an entry that cannot
    be examined), so that a file reached twice is checked once."""
    seen: set[tuple[int, int]] = set()
    stack = [str(path)]
    while stack:
        root = stack.pop()
        try:
            info = os.stat(root)  # a directory is known by device and inode: cheaper than realpath at any depth
            if (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(root) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            if unreadable is not None:
                unreadable.append((root, exc.strerror or type(exc).__name__))
            continue
        subdirs = []
        device = info.st_dev
        for entry in entries:
            if entry.name.startswith(".") or entry.name == "__pycache__":
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
                if not is_dir and entry.is_symlink() and not os.path.exists(entry.path):
                    raise OSError(errno.ENOENT, "a link to nothing")
            except OSError as exc:  # a symlink loop or a dangling link: say so rather than skip it
                if unreadable is not None:
                    unreadable.append((entry.path, exc.strerror or type(exc).__name__))
                continue
            if is_dir:
                subdirs.append(entry.path)
            elif entry.name.lower().endswith(DOCUMENT_SUFFIXES):
                # not only regular files: reading says what is wrong with a FIFO or a socket
                yield entry.path, _identity(entry.path) if entry.is_symlink() else (device, entry.inode())
        stack.extend(reversed(subdirs))


def _internal_error(path: str, exc: Exception) -> Finding:
    return Finding(
        path=path,
        code=INTERNAL_ERROR_CODE,
        message=f"internal error while checking this file ({type(exc).__name__}: {exc}); please report it.",
    )


@attrs.frozen(slots=True)
class Checker:
    """Everything one file check needs; cheap to share with forked workers."""

    library: Mapping[str, Exercise] = attrs.field(factory=dict)
    rules: Sequence[LintRule] = ()
    limits: Limits = DEFAULT_LIMITS
    #: Codes of every installed rule, selected or not (for suppressions naming unknown codes).
    known_codes: frozenset[str] = frozenset()
    #: The date that "in the future" is measured from (today unless a test pins it).
    today: datetime.date | None = None
    #: rehabkit's clinical defaults with the installed packs' settings (None: the defaults).
    policy: Mapping[str, Any] | None = None
    #: Scales of the outcome-score criteria from the installed measures (None: rehabkit's own measures).
    measure_scales: Mapping[str, tuple[float, float]] | None = None
    #: The installed red-flag libraries by id (None: rehabkit's own alone).
    red_flag_libraries: Mapping[str, RedFlagLibrary] | None = None

    def check_file(self, path: str) -> list[Finding]:
        """All findings for one file; never raises for bad input."""
        return self.check_file_keyed(path)[0]

    def check_file_keyed(self, path: str) -> tuple[list[Finding], DocumentKey | None]:
        """All findings for one file, and the document's kind, id, version and where its id is (to find duplicates)."""
        try:
            document = load_file(path, self.limits, defer_depth=True)
            findings = self.check_document(document)
            # Only a document that matches the schema counts as a duplicate: fix the schema errors first.
            matches = not any(f.code == SCHEMA_CODE for f in findings)
            return findings, _document_key(document) if matches else None
        except DocumentError as exc:
            return [exc.to_finding()], None
        except Exception as exc:  # rehabkit's own failure: report it, keep checking other files
            return [_internal_error(path, exc)], None

    def check_parsed(self, document: Document) -> list[Finding]:
        """All findings for a document already read and parsed, as :meth:`check_file` gives them for its file."""
        try:
            return self.check_document(document)
        except DocumentError as exc:
            return [exc.to_finding()]
        except Exception as exc:  # rehabkit's own failure: report it
            return [_internal_error(document.path, exc)]

    def check_document(self, document: Document) -> list[Finding]:
        """Schema findings, or lint findings once the document matches the schema."""
        try:
            item = model_from_document(document)
        except InvalidDocument as exc:
            return exc.findings
        if isinstance(item, RedFlagLibrary):
            return in_order(_red_flag_library_findings(document, item))
        # The document's own exercises first; the library is consulted only for the rest.
        exercises: Mapping[str, Exercise]
        if type(self.library) is dict:  # in memory already (a batch): one plain dict, the document's own winning
            exercises = self.library.copy()
            exercises.update((e.id, e) for e in item.exercises)
        else:  # a lazy library is read only if the document names an exercise it does not define
            exercises = ChainMap({e.id: e for e in item.exercises}, self.library)  # type: ignore[arg-type]  # read only
        options: dict[str, Any] = {"today": self.today} if self.today is not None else {}
        if self.policy is not None:
            options["policy"] = self.policy
        if self.measure_scales is not None:
            options["measure_scales"] = self.measure_scales
        if self.red_flag_libraries is not None:
            options["red_flag_libraries"] = self.red_flag_libraries
        if isinstance(item, Protocol):
            context = LintContext(protocol=item, exercises=exercises, data=document.data, **options)
        else:
            context = LintContext(protocol=None, library=item, exercises=exercises, data=document.data, **options)
        findings = run_rules(self.rules, document, context)
        if item.suppress or (document.format == "yaml" and "rehabkit:" in document.text):
            from .suppressions import apply_suppressions

            ran = {rule.code for rule in self.rules if context.kind in rule.applies_to}
            known = self.known_codes | {rule.code for rule in self.rules}
            findings = apply_suppressions(findings, document, item.suppress, ran, known)
        return in_order(findings)


def _red_flag_library_findings(document: Document, library: RedFlagLibrary) -> Iterator[Finding]:
    """What a red-flag library is checked for beyond its schema: each question's id used once (RK102)."""
    seen: dict[str, int] = {}
    for index, question in enumerate(library.questions):
        if question.id not in seen:
            seen[question.id] = index
            continue
        path = ("questions", index, "id")
        line, column = document.position(path)
        yield Finding(
            document.path,
            "RK102",
            f"id {question.id!r} is used twice in 'questions' (first at index {seen[question.id]}): give each "
            "question its own id.",
            line=line,
            column=column,
            json_path=format_json_path(path),
        )


def in_order(findings: Iterable[Finding]) -> list[Finding]:
    """A file's findings in the order they are reported: by line, column, then code."""
    return sorted(findings, key=lambda f: (f.line or 0, f.column or 0, f.code))


@attrs.frozen(slots=True)
class DocumentKey:
    """A document's kind, id and version (where its id stands is worked out only for a duplicate)."""

    kind: str
    name: str


def _document_key(document: Document) -> DocumentKey | None:
    data = document.data
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("kind", "id", "version")):
        return None
    return DocumentKey(data["kind"], f"{data['id']}@{data['version']}")


def _id_position(path: str, limits: Limits) -> tuple[int | None, int | None]:
    """Line and column of a document's id: read again, for a duplicate only (placing costs more than checking)."""
    try:
        return load_file(path, limits).position(["id"])
    except (DocumentError, OSError):  # changed since it was checked: the finding names the file
        return None, None


@attrs.frozen(slots=True)
class FileReport:
    """The findings for one checked file (or one path that held no files), and the key of its document."""

    path: str
    findings: tuple[Finding, ...]
    key: DocumentKey | None = None


def with_duplicates(reports: list[FileReport], limits: Limits = DEFAULT_LIMITS) -> list[FileReport]:
    """Reports with an RK013 error on every file whose document's kind, id and version another file also has."""
    by_key: dict[tuple[str, str], list[FileReport]] = {}
    for report in reports:
        if report.key is not None:
            by_key.setdefault((report.key.kind, report.key.name), []).append(report)
    duplicated = {id(r): group for group in by_key.values() if len(group) > 1 for r in group}
    if not duplicated:
        return reports
    out = []
    for report in reports:
        group = duplicated.get(id(report))
        if group is None or report.key is None:
            out.append(report)
            continue
        others = ", ".join(r.path for r in group if r is not report)
        line, column = _id_position(report.path, limits)
        finding = Finding(
            path=report.path,
            code="RK013",
            line=line,
            column=column,
            json_path="$.id",
            message=f"{report.key.kind} {report.key.name} is also in {others}: two documents with one id and version "
            "cannot be told apart. Give one a new version (or id), or remove the copy.",
        )
        out.append(attrs.evolve(report, findings=tuple(in_order([*report.findings, finding]))))
    return out


def _identity(name: str) -> object:
    """What tells a file apart from every other: (device, inode), or the real path if it cannot be examined."""
    try:
        info = os.stat(name)
    except (OSError, ValueError):
        return os.path.realpath(name)
    return (info.st_dev, info.st_ino)


def expand_paths(paths: Iterable[str]) -> tuple[list[str], list[Finding]]:
    """Files to check (each real file once, however it is reached) and findings for directories holding none."""
    files: list[str] = []
    problems: list[Finding] = []
    seen: set[object] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            unreadable: list[tuple[str, str]] = []
            found = list(_walk(path, unreadable))
            problems += [
                Finding(
                    path=folder,
                    code=READ_ERROR_CODE,
                    message=f"cannot read this directory ({reason}): "
                    "its documents were not checked; fix its permissions or leave it out.",
                )
                for folder, reason in unreadable
            ]
            if not found and not unreadable:
                problems.append(
                    Finding(
                        path=raw,
                        code=NO_FILES_CODE,
                        message=(
                            f"no protocol documents ({', '.join(DOCUMENT_SUFFIXES)}) in this directory or below it; "
                            "check the path."
                        ),
                    )
                )
        else:
            found = [(raw, _identity(raw))]
        for name, identity in found:
            if identity not in seen:
                seen.add(identity)
                files.append(name)
    return files, problems


_WORKER_CHECKER: Checker | None = None


def _check_in_worker(path: str) -> tuple[str, list[Finding], DocumentKey | None]:
    assert _WORKER_CHECKER is not None
    return (path, *_WORKER_CHECKER.check_file_keyed(path))


def check_paths(paths: Iterable[str], checker: Checker, jobs: int | None = None) -> list[FileReport]:
    """Check files and directories; reports come back in path order.

    Exercise libraries among the files lend their exercises to the documents
    checked with them (a file's exercises win over an installed pack's): when
    the first pass finds a valid library among the files, every document that
    reached the lint rules is checked again with those exercises (a batch of
    protocols alone is read once). Two files holding the same kind, id and
    version are each given an RK013 error.
    """
    files, problems = expand_paths(paths)
    if len(files) >= _PARALLEL_THRESHOLD:  # a batch: read the installed library once, as one plain dict
        checker = attrs.evolve(checker, library=dict(checker.library))
    workers = _worker_count(jobs, len(files))
    results = _check_files(files, checker, workers)
    libraries = [name for name, _, key in results if key is not None and key.kind == "exercise-library"]
    local = library_exercises(libraries, checker.limits) if libraries else {}
    if local:
        if type(checker.library) is dict:
            checker = attrs.evolve(checker, library={**checker.library, **local})
        else:
            checker = attrs.evolve(checker, library=ChainMap(local, checker.library))  # type: ignore[arg-type]  # read only
        again = [name for name, _, key in results if key is not None]
        redone = dict(zip(again, _check_files(again, checker, _worker_count(jobs, len(again))), strict=True))
        results = [redone.get(name, result) for name, result in zip(files, results, strict=True)]
    reports = [FileReport(p.path, (p,)) for p in problems]
    reports += [FileReport(name, tuple(findings), key) for name, findings, key in results]
    return with_duplicates(reports, checker.limits)


def _check_files(
    files: list[str], checker: Checker, workers: int
) -> list[tuple[str, list[Finding], DocumentKey | None]]:
    """(file, findings, key) for each file, in order: in this process, or on ``workers`` forked processes."""
    if workers <= 1:
        return [(name, *checker.check_file_keyed(name)) for name in files]
    global _WORKER_CHECKER
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # The first file is checked here, before the fork: what a check makes on first use (modules imported then,
    # the clinical data read, compiled patterns, the model's builders) is then inherited by every worker
    # rather than made again in each.
    first = (files[0], *checker.check_file_keyed(files[0]))
    rest = files[1:]
    _WORKER_CHECKER = checker  # inherited by the forked workers: nothing to pickle
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            chunk = max(1, len(rest) // (workers * 8))
            return [first, *pool.map(_check_in_worker, rest, chunksize=chunk)]
    finally:
        _WORKER_CHECKER = None


def _worker_count(jobs: int | None, files: int) -> int:
    """``jobs`` when given; else one worker per core this process may use, at most one per
    :data:`FILES_PER_WORKER` files (for a small batch, forking costs more than it saves)."""
    if jobs is None:
        if files < _PARALLEL_THRESHOLD or not hasattr(os, "fork"):
            return 1
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:
            cores = os.cpu_count() or 1
        jobs = max(1, min(cores, files // FILES_PER_WORKER))
    return max(1, min(jobs, files))
