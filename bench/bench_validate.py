"""Benchmark: rehabkit against check-jsonschema, the floor and bare click, side by side in one run.

Measures wall-clock time of whole commands, as a user runs them:

* start-up: ``rehabkit --help`` and ``rehabkit validate one.json`` against ``python -c "import click"``;
* a batch of 2,000 generated JSON protocols and one of 500 YAML protocols (each the neck protocol with its
  exercises copied in, trimmed: about 19 KB as indented JSON, 16 KB as YAML; the run prints the size):
  ``rehabkit validate DIR`` with the default jobs and with ``--jobs 1`` against
  ``check-jsonschema --schemafile schemas/protocol.schema.json FILES...``;
* the floor: one Python process that only reads each file, parses it (orjson; libyaml for YAML) and asks the
  compiled validator (jsonschema-rs) ``is_valid``, against ``rehabkit validate --jobs 1``;
* one file against one file.

Each command runs several times, the sides interleaved so that machine noise hits all of them; the median
is reported with the ratio. Run it with ``make bench`` (installs check-jsonschema and orjson) or
``python bench/bench_validate.py``. ``--check`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "schemas" / "protocol.schema.json"
SOURCE = REPO / "protocols" / "neck" / "neck-pain.yaml"
LIBRARY = REPO / "protocols" / "exercises" / "spine-exercises.yaml"
BIN = Path(sys.executable).parent


def generate(out: Path, json_count: int, yaml_count: int) -> tuple[Path, Path]:
    """Write distinct valid, lint-clean protocols derived from the neck protocol (sizes: see the module text).

    The exercises it names are copied in from the shared library, so that each
    document stands alone, as check-jsonschema needs.
    """
    base = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    base["reviewed"] = str(base["reviewed"])
    library = {e["id"]: e for e in yaml.safe_load(LIBRARY.read_text(encoding="utf-8"))["exercises"]}
    named = {ref["exercise"] for phase in base["phases"] for ref in phase["exercises"]}
    base["exercises"] = [library[name] for name in sorted(named)]
    # Trim the shipped protocol: its long lists of text add size without adding anything to check.
    for key in ("eligibility", "goals", "precautions", "advice"):
        base.pop(key, None)
    base["references"] = base["references"][:2]
    for exercise in base["exercises"]:
        for key in ("cues", "contraindications", "regression", "progression", "equipment"):
            exercise.pop(key, None)
        exercise["steps"] = exercise["steps"][:2]
    json_dir, yaml_dir = out / "json", out / "yaml"
    for folder in (json_dir, yaml_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for i in range(max(json_count, yaml_count)):
        doc = dict(base, id=f"bench-protocol-{i}", title=f"Benchmark protocol {i}")
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


def timed(command: list[str], expect: int = 0) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != expect:
        raise SystemExit(
            f"benchmark command failed ({result.returncode}): {' '.join(command[:4])} ...\n{result.stderr[-2000:]}"
        )
    return elapsed


def interleaved(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median seconds of each command, the commands taking turns in every round."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(timed(command))
    return {name: statistics.median(values) for name, values in times.items()}


Row = tuple[str, float, float, float, str, bool]


def faster(name: str, ours: float, theirs: float, at_least: float) -> Row:
    ratio = theirs / ours
    return (name, ours, theirs, ratio, f">= {at_least:g}x faster", ratio >= at_least)


def within(name: str, ours: float, base: float, at_most: float) -> Row:
    ratio = ours / base
    return (name, ours, base, ratio, f"<= {at_most:g}x of it", ratio <= at_most)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json-files", type=int, default=2000)
    parser.add_argument("--yaml-files", type=int, default=500)
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per batch command (start-up and one-file rows run 5x this)"
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()

    rehabkit = str(BIN / "rehabkit")
    checker = shutil.which("check-jsonschema", path=str(BIN)) or shutil.which("check-jsonschema")
    if checker is None:
        raise SystemExit("check-jsonschema is not installed: run 'make bench' or pip install check-jsonschema orjson")
    json_dir, yaml_dir = generate(args.out, args.json_files, args.yaml_files)
    json_files = sorted(str(p) for p in json_dir.iterdir())
    yaml_files = sorted(str(p) for p in yaml_dir.iterdir())
    size = statistics.mean(os.path.getsize(p) for p in json_files[:50])
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; documents ~{size / 1024:.1f} KB "
        f"(JSON); medians of {args.runs} interleaved runs"
    )
    cj = [checker, "--schemafile", str(SCHEMA)]
    floor = [sys.executable, "-c", FLOOR, str(SCHEMA)]
    click_only = [sys.executable, "-c", "import click"]

    rows: list[Row] = []
    t = interleaved(
        {"help": [rehabkit, "--help"], "one": [rehabkit, "validate", json_files[0]], "click": click_only}, args.runs * 5
    )
    rows.append(within("start-up: rehabkit --help vs import click", t["help"], t["click"], 1.3))
    rows.append(within("start-up: rehabkit validate one.json vs import click", t["one"], t["click"], 2))
    for kind, folder, files, default_target, one_job_target in (
        ("JSON", json_dir, json_files, 20, 15),
        ("YAML", yaml_dir, yaml_files, 15, 10),
    ):
        label = f"{len(files)} {kind}"
        t = interleaved(
            {
                "default": [rehabkit, "validate", str(folder)],
                "one-job": [rehabkit, "validate", "--jobs", "1", str(folder)],
                "theirs": cj + files,
                "floor": floor + files,
            },
            args.runs,
        )
        rows.append(
            faster(f"validate {label} vs check-jsonschema (default jobs)", t["default"], t["theirs"], default_target)
        )
        rows.append(
            faster(f"validate {label} vs check-jsonschema (--jobs 1)", t["one-job"], t["theirs"], one_job_target)
        )
        if kind == "JSON":
            rows.append(within(f"validate {label} --jobs 1 vs the floor", t["one-job"], t["floor"], 3))
        else:  # reported, no target: libyaml's own parse is most of the floor
            rows.append(
                (
                    f"validate {label} --jobs 1 vs the floor",
                    t["one-job"],
                    t["floor"],
                    t["one-job"] / t["floor"],
                    "(reported)",
                    True,
                )
            )
    for label, one in (("one JSON file", json_files[0]), ("one YAML file", yaml_files[0])):
        # as many runs as start-up: 0.1 s each
        t = interleaved({"ours": [rehabkit, "validate", one], "theirs": [*cj, one]}, args.runs * 5)
        rows.append(faster(f"validate {label} vs check-jsonschema", t["ours"], t["theirs"], 2.5))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'rehabkit':>9}  {'other':>9}  {'ratio':>7}  target")
    for name, a, b, ratio, target, ok in rows:
        print(
            f"{name.ljust(width)}  {a * 1000:7.0f}ms  {b * 1000:7.0f}ms  {ratio:6.2f}x"
            f"  {target} {'ok' if ok else 'MISSED'}"
        )
    return 1 if args.check and not all(r[-1] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
