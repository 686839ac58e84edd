"""Benchmark: rehabkit against check-jsonschema and bare click, side by side in one run.

Measures wall-clock time of whole commands, as a user runs them:

* start-up: ``rehabkit --help`` against ``python -c "import click"``;
* a batch of 2,000 generated JSON protocols and one of 500 YAML protocols
  (about 10 KB each): ``rehabkit validate DIR`` against
  ``check-jsonschema --schemafile schemas/protocol.schema.json FILES...``;
* one file against one file.

Each command runs several times, alternating the two sides so that machine
noise hits both; the median is reported with the ratio.  Run it with
``make bench`` (installs check-jsonschema) or ``python bench/bench_validate.py``.
``--check`` exits 1 when a target is missed.
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
    """Write distinct valid, lint-clean protocols (~12 KB each) derived from the neck protocol.

    The exercises it names are copied in from the shared library, so that each
    document stands alone, as check-jsonschema needs.
    """
    base = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    base["reviewed"] = str(base["reviewed"])
    library = {e["id"]: e for e in yaml.safe_load(LIBRARY.read_text(encoding="utf-8"))["exercises"]}
    named = {ref["exercise"] for phase in base["phases"] for ref in phase["exercises"]}
    base["exercises"] = [library[name] for name in sorted(named)]
    # Trim the shipped protocol toward the ~10 KB the targets were measured with.
    for key in ("eligibility", "goals", "precautions"):
        base.pop(key)
    for exercise in base["exercises"]:
        for key in ("cues", "contraindications", "regression", "progression"):
            exercise.pop(key, None)
    json_dir, yaml_dir = out / "json", out / "yaml"
    for folder in (json_dir, yaml_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for i in range(max(json_count, yaml_count)):
        doc = dict(base, id=f"bench-protocol-{i}", title=f"Benchmark protocol {i}")
        if i < json_count:
            (json_dir / f"p{i:05}.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
        if i < yaml_count:
            (yaml_dir / f"p{i:05}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return json_dir, yaml_dir


def timed(command: list[str], expect: int = 0) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != expect:
        raise SystemExit(f"benchmark command failed ({result.returncode}): {' '.join(command[:4])} ...\n{result.stderr[-2000:]}")
    return elapsed


def compare(name: str, ours: list[str], theirs: list[str], runs: int) -> tuple[float, float]:
    """Median seconds of each side, runs interleaved."""
    ours_t, theirs_t = [], []
    for _ in range(runs):
        ours_t.append(timed(ours))
        theirs_t.append(timed(theirs))
    a, b = statistics.median(ours_t), statistics.median(theirs_t)
    return a, b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json-files", type=int, default=2000)
    parser.add_argument("--yaml-files", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3, help="runs per batch command (start-up runs 5x this)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()

    rehabkit = str(BIN / "rehabkit")
    checker = shutil.which("check-jsonschema", path=str(BIN)) or shutil.which("check-jsonschema")
    if checker is None:
        raise SystemExit("check-jsonschema is not installed: run 'make bench' or pip install check-jsonschema")
    json_dir, yaml_dir = generate(args.out, args.json_files, args.yaml_files)
    json_files = sorted(str(p) for p in json_dir.iterdir())
    yaml_files = sorted(str(p) for p in yaml_dir.iterdir())
    size = statistics.mean(os.path.getsize(p) for p in json_files[:50])
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; documents ~{size / 1024:.1f} KB")
    cj = [checker, "--schemafile", str(SCHEMA)]

    rows = []
    ours, theirs = compare("start-up", [rehabkit, "--help"], [sys.executable, "-c", "import click"], args.runs * 5)
    rows.append(("start-up: rehabkit --help vs import click", ours, theirs, ours / theirs, "<= 1.3x of click", ours / theirs <= 1.3))
    for label, folder, files in (
        (f"{len(json_files)} JSON protocols", json_dir, json_files),
        (f"{len(yaml_files)} YAML protocols", yaml_dir, yaml_files),
    ):
        ours, theirs = compare(label, [rehabkit, "validate", str(folder)], cj + files, args.runs)
        rows.append((f"validate {label} vs check-jsonschema", ours, theirs, theirs / ours, ">= 10x faster", theirs / ours >= 10))
    for label, one in (("one JSON file", json_files[0]), ("one YAML file", yaml_files[0])):
        ours, theirs = compare(label, [rehabkit, "validate", one], cj + [one], args.runs * 3)
        rows.append((f"validate {label} vs check-jsonschema", ours, theirs, theirs / ours, ">= 2x faster", theirs / ours >= 2))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'rehabkit':>9}  {'other':>9}  {'ratio':>7}  target")
    for name, a, b, ratio, target, ok in rows:
        print(f"{name.ljust(width)}  {a * 1000:7.0f}ms  {b * 1000:7.0f}ms  {ratio:6.2f}x  {target} {'ok' if ok else 'MISSED'}")
    return 1 if args.check and not all(r[-1] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
