"""Benchmark: rehabkit against check-jsonschema, the floor and bare click, side by side in one run.

Measures wall-clock time of whole commands, as a user runs them:

* start-up: ``rehabkit --help`` and ``rehabkit validate one.json`` against ``python -c "import click"``;
* a batch of 2,000 JSON protocols and one of 500 YAML protocols (the run prints their size):
  ``rehabkit validate DIR`` with the default jobs and with ``--jobs 1`` against
  ``check-jsonschema --schemafile schemas/protocol.schema.json FILES...``;
* the floor: one Python process that only reads each file, parses it (orjson; libyaml for YAML) and asks the
  compiled validator (jsonschema-rs) ``is_valid``, against ``rehabkit validate --jobs 1``;
* one file against one file.

Two corpora, the real one first: the shipped protocols as they are (all of protocols/, which the first-party
packs link to), each with the exercises it names copied in from the installed library and copied under new ids
(2,000 JSON and 500 YAML spread over them); then the trimmed neck protocol of earlier benchmarks, as a second,
labelled set of rows (``--corpus`` chooses). Each batch row gives the cost per document beside the totals.

Each command runs several times, the sides interleaved so that machine noise hits all of them; the median
is reported with the ratio, which the targets are about, and beside it the ratio of CPU seconds (the command's
own and its workers'), which other work on a shared machine moves less (it says nothing of the default jobs'
use of every core, whose gain is in wall-clock time only). Run it with ``make bench`` (installs check-jsonschema
and orjson) or ``python bench/bench_validate.py``. ``--check`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import yaml

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "schemas" / "protocol.schema.json"
PROTOCOLS = REPO / "protocols"
SOURCE = PROTOCOLS / "neck" / "neck-pain.yaml"
BIN = Path(sys.executable).parent


def installed_library() -> dict[str, dict]:
    """The exercises of the installed exercise library (the rehabkit-exercises pack; the repository's copy
    of it when the pack is not installed), by id."""
    try:
        from rehabkit_exercises import EXERCISES as folder
    except ImportError:
        folder = PROTOCOLS / "exercises"
    library: dict[str, dict] = {}
    for name in sorted(Path(folder).glob("*.yaml")):
        library.update((e["id"], e) for e in yaml.safe_load(name.read_text(encoding="utf-8"))["exercises"])
    return library


def standalone(source: Path, library: dict[str, dict]) -> dict | None:
    """A shipped protocol as it is, with the exercises it names copied in from the library (so that it
    stands alone, as check-jsonschema needs); None for a document that is not a protocol."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    if data.get("kind") != "protocol":
        return None
    data["reviewed"] = str(data["reviewed"])  # YAML reads a date; JSON and the schema want the text
    named = {ref["exercise"] for phase in data["phases"] for ref in phase["exercises"]}
    own = {e["id"] for e in data.get("exercises", ())}
    data["exercises"] = [*data.get("exercises", ()), *(library[name] for name in sorted(named - own))]
    return data


def real_corpus() -> list[dict]:
    """Every shipped protocol (all of protocols/, which the first-party packs link to), untrimmed."""
    library = installed_library()
    found = (standalone(source, library) for source in sorted(PROTOCOLS.rglob("*.yaml")))
    return [data for data in found if data is not None]


def trimmed_corpus() -> list[dict]:
    """The neck protocol trimmed as earlier benchmarks had it: no eligibility, goals, precautions or advice,
    two references, and each exercise without cues, contraindications, regressions, progressions or
    equipment, with two steps (a second row, to show how the cost grows with a document's size)."""
    base = standalone(SOURCE, installed_library())
    assert base is not None
    for key in ("eligibility", "goals", "precautions", "advice"):
        base.pop(key, None)
    base["references"] = base["references"][:2]
    for exercise in base["exercises"]:
        for key in ("cues", "contraindications", "regression", "progression", "equipment"):
            exercise.pop(key, None)
        exercise["steps"] = exercise["steps"][:2]
    return [base]


def generate(out: Path, bases: list[dict], json_count: int, yaml_count: int) -> tuple[Path, Path]:
    """Write ``json_count`` JSON and ``yaml_count`` YAML copies of ``bases``, taking turns, each differing
    from its original in its id only."""
    json_dir, yaml_dir = out / "json", out / "yaml"
    for folder in (json_dir, yaml_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for i in range(max(json_count, yaml_count)):
        base = bases[i % len(bases)]
        doc = dict(base, id=f"{base['id']}-copy-{i}")
        if i < json_count:
            (json_dir / f"p{i:05}.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
        if i < yaml_count:
            (yaml_dir / f"p{i:05}.yaml").write_text(
                yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8"
            )
    return json_dir, yaml_dir


FLOOR = """
import sys, orjson, yaml, jsonschema_rs
schema = orjson.loads(open(sys.argv[1], "rb").read())
validator = jsonschema_rs.validator_for(schema, validate_formats=True)
load = yaml.CSafeLoader
for name in sys.argv[2:]:
    with open(name, "rb") as handle:
        raw = handle.read()
    data = orjson.loads(raw) if name.endswith(".json") else yaml.load(raw, Loader=load)
    validator.is_valid(data)
"""


class Timing(NamedTuple):
    """A command's elapsed (wall-clock) seconds and the CPU seconds it and its worker processes used."""

    wall: float
    cpu: float


def timed(command: list[str], expect: int = 0) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != expect:
        raise SystemExit(
            f"benchmark command failed ({result.returncode}): {' '.join(command[:4])} ...\n{result.stderr[-2000:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(elapsed, cpu)


def interleaved(commands: dict[str, list[str]], runs: int) -> dict[str, Timing]:
    """Median seconds (wall and CPU) of each command, the commands taking turns in every round."""
    times: dict[str, list[Timing]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(timed(command))
    return {
        name: Timing(statistics.median(t.wall for t in values), statistics.median(t.cpu for t in values))
        for name, values in times.items()
    }


class Row(NamedTuple):
    """One measure: ours against the other side, the ratio, the target and whether it holds."""

    name: str
    ours: float
    other: float
    ratio: float
    target: str
    ok: bool
    documents: int = 1  # how many documents each side checked (for the cost per document)
    cpu_ratio: float | None = None  # the same ratio of CPU seconds (less moved by other work on the machine)


def faster(name: str, ours: Timing, theirs: Timing, at_least: float, documents: int = 1) -> Row:
    ratio = theirs.wall / ours.wall
    return Row(
        name,
        ours.wall,
        theirs.wall,
        ratio,
        f">= {at_least:g}x faster",
        ratio >= at_least,
        documents,
        theirs.cpu / ours.cpu,
    )


def within(name: str, ours: Timing, base: Timing, at_most: float, documents: int = 1) -> Row:
    ratio = ours.wall / base.wall
    return Row(
        name, ours.wall, base.wall, ratio, f"<= {at_most:g}x of it", ratio <= at_most, documents, ours.cpu / base.cpu
    )


#: Targets of the batches: (default jobs, --jobs 1) against check-jsonschema, and --jobs 1 against the floor.
BATCH_TARGETS = {"JSON": (20.0, 15.0, 4.5), "YAML": (15.0, 10.0, None)}


def batch_rows(corpus: str, kind: str, folder: Path, files: list[str], runs: int) -> list[Row]:
    """A batch checked by rehabkit (default jobs, --jobs 1), check-jsonschema and the floor, side by side."""
    rehabkit = str(BIN / "rehabkit")
    default_target, one_job_target, floor_target = BATCH_TARGETS[kind]
    label = f"{corpus}: {len(files)} {kind}"
    t = interleaved(
        {
            "default": [rehabkit, "validate", str(folder)],
            "one-job": [rehabkit, "validate", "--jobs", "1", str(folder)],
            "theirs": [*checker_command(), *files],
            "floor": [sys.executable, "-c", FLOOR, str(SCHEMA), *files],
        },
        runs,
    )
    n = len(files)
    rows = [
        faster(f"{label} vs check-jsonschema (default jobs)", t["default"], t["theirs"], default_target, n),
        faster(f"{label} vs check-jsonschema (--jobs 1)", t["one-job"], t["theirs"], one_job_target, n),
    ]
    name = f"{label} --jobs 1 vs the floor"
    if floor_target is not None:
        rows.append(within(name, t["one-job"], t["floor"], floor_target, n))
    else:  # reported, no target: libyaml's own parse is most of the floor
        ours, floor = t["one-job"], t["floor"]
        rows.append(
            Row(name, ours.wall, floor.wall, ours.wall / floor.wall, "(reported)", True, n, ours.cpu / floor.cpu)
        )
    return rows


def checker_command() -> list[str]:
    checker = shutil.which("check-jsonschema", path=str(BIN)) or shutil.which("check-jsonschema")
    if checker is None:
        raise SystemExit("check-jsonschema is not installed: run 'make bench' or pip install check-jsonschema orjson")
    return [checker, "--schemafile", str(SCHEMA)]


def sorted_files(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.iterdir())


def real_rows(out: Path, json_count: int, yaml_count: int, runs: int) -> list[Row]:
    """Start-up, batches and single files on the shipped protocols as they are."""
    bases = real_corpus()
    json_dir, yaml_dir = generate(out / "real", bases, json_count, yaml_count)
    json_files, yaml_files = sorted_files(json_dir), sorted_files(yaml_dir)
    size = statistics.mean(os.path.getsize(p) for p in json_files[: len(bases)])
    print(f"real corpus: the {len(bases)} shipped protocols with their exercises, ~{size / 1024:.1f} KB as JSON")
    rehabkit = str(BIN / "rehabkit")
    rows: list[Row] = []
    t = interleaved(
        {
            "help": [rehabkit, "--help"],
            "one": [rehabkit, "validate", json_files[0]],
            "click": [sys.executable, "-c", "import click"],
        },
        runs * 5,
    )
    rows.append(within("start-up: rehabkit --help vs import click", t["help"], t["click"], 1.3))
    rows.append(within("start-up: rehabkit validate one.json vs import click", t["one"], t["click"], 2))
    rows += batch_rows("real", "JSON", json_dir, json_files, runs)
    rows += batch_rows("real", "YAML", yaml_dir, yaml_files, runs)
    for label, one in (("one JSON file", json_files[0]), ("one YAML file", yaml_files[0])):
        # as many runs as start-up: 0.1 s each
        t = interleaved({"ours": [rehabkit, "validate", one], "theirs": [*checker_command(), one]}, runs * 5)
        rows.append(faster(f"real: {label} vs check-jsonschema", t["ours"], t["theirs"], 2.5))
    return rows


def trimmed_rows(out: Path, json_count: int, yaml_count: int, runs: int) -> list[Row]:
    """The batches on the trimmed neck protocol (the corpus of earlier benchmarks)."""
    json_dir, yaml_dir = generate(out / "trimmed", trimmed_corpus(), json_count, yaml_count)
    json_files, yaml_files = sorted_files(json_dir), sorted_files(yaml_dir)
    size = os.path.getsize(json_files[0])
    print(f"trimmed corpus: the neck protocol trimmed, ~{size / 1024:.1f} KB as JSON")
    return [
        *batch_rows("trimmed", "JSON", json_dir, json_files, runs),
        *batch_rows("trimmed", "YAML", yaml_dir, yaml_files, runs),
    ]


def prepare() -> None:
    """Compile rehabkit's modules to bytecode, as installing a wheel does (an editable install under
    PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module from source in every command, which no
    installed tool measured here pays), and fill the packs' document cache once, as any earlier command has."""
    import compileall

    compileall.compile_dir(str(REPO / "src" / "rehabkit"), quiet=1)
    subprocess.run([str(BIN / "rehabkit"), "list"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("rehabkit's modules compiled to bytecode (as a wheel install has them); the packs' cache filled")


def print_rows(rows: list[Row]) -> None:
    width = max(len(r.name) for r in rows)
    print(
        f"{'measure'.ljust(width)}  {'rehabkit':>9}  {'other':>9}  {'ratio':>7}  {'by CPU':>7}  {'per document':>17}"
        "  target"
    )
    for row in rows:
        per = (
            f"{row.ours / row.documents * 1000:.2f} / {row.other / row.documents * 1000:.2f} ms"
            if row.documents > 1
            else ""
        )
        cpu = f"{row.cpu_ratio:6.2f}x" if row.cpu_ratio is not None else ""
        print(
            f"{row.name.ljust(width)}  {row.ours * 1000:7.0f}ms  {row.other * 1000:7.0f}ms  {row.ratio:6.2f}x"
            f"  {cpu:>7}  {per:>17}  {row.target} {'ok' if row.ok else 'MISSED'}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json-files", type=int, default=2000)
    parser.add_argument("--yaml-files", type=int, default=500)
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per batch command (start-up and one-file rows run 5x this)"
    )
    parser.add_argument(
        "--corpus",
        choices=("both", "real", "trimmed"),
        default="both",
        help="the shipped protocols as they are (real, first), the trimmed neck protocol (trimmed), or both",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    checker_command()  # before any work: say at once when check-jsonschema is missing
    prepare()
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; medians of {args.runs} interleaved runs; "
        f"load average at the start {os.getloadavg()[0]:.1f}"
    )
    rows: list[Row] = []
    if args.corpus in ("both", "real"):
        rows += real_rows(args.out, args.json_files, args.yaml_files, args.runs)
    if args.corpus in ("both", "trimmed"):
        rows += trimmed_rows(args.out, args.json_files, args.yaml_files, args.runs)
    print_rows(rows)
    print(f"load average at the end {os.getloadavg()[0]:.1f} (other work on the machine makes the ratios noisy)")
    return 1 if args.check and not all(r.ok for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
