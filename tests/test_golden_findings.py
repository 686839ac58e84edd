"""Findings stay byte-identical while rehabkit gets faster: a golden file of validate's output on a mixed corpus.

The corpus is the test corpus, every shipped protocol, and four deterministic
mutations of each shipped protocol in YAML and in JSON (an unknown exercise, a
zero dose, red flags cut to one, a malformed version; the YAML and JSON copies
of the last share an id and version, so RK013 is in the corpus too). It also
holds the documents ``bench/bench_validate.py`` measures (the real corpus): each
shipped protocol as it is with the exercises it names copied in from the
library, under a new id, in YAML and in JSON, and three mutations of each that
reach the exercises' own text lists and links (a regression naming no exercise,
a progression naming its own exercise, a control character in a cue). A change that alters a
finding fails here; one that means to (a better message) regenerates the file
with ``UPDATE_GOLDEN=1 pytest tests/test_golden_findings.py`` and the diff shows
every finding that changed.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import PROTOCOLS, REPO, clean_env

GOLDEN = REPO / "tests" / "golden" / "findings.txt"


def _mutations(data: dict) -> dict[str, dict]:
    unknown, zero, one_flag, version = (copy.deepcopy(data) for _ in range(4))
    unknown["phases"][0]["exercises"][0]["exercise"] = "no-such-exercise"
    zero["phases"][0]["exercises"][0]["dose"] = {"reps": 0}
    one_flag["red_flags"] = one_flag["red_flags"][:1]
    version["version"] = "1.0"
    for name, mutated in (("unknown-exercise", unknown), ("zero-dose", zero), ("one-red-flag", one_flag)):
        mutated["id"] = f"{data['id']}-{name}"  # its own id: the duplicate check has its pair below (bad-version)
    return {"unknown-exercise": unknown, "zero-dose": zero, "one-red-flag": one_flag, "bad-version": version}


def _edge_cases(folder: Path, base: dict) -> None:
    """Documents on the loader's shortcuts (nesting checked late, YAML read in one pass when plainly safe)."""
    deep: object = "x"
    for _ in range(40):
        deep = [deep]
    nested_phase = {**base, "id": "edge-deep", "phases": deep}
    (folder / "edge.deep.json").write_text(json.dumps(nested_phase), encoding="utf-8")
    (folder / "edge.deep.yaml").write_text(yaml.safe_dump(nested_phase, sort_keys=False), encoding="utf-8")
    (folder / "edge.deep-flow.yaml").write_text(
        "kind: protocol\nid: edge-flow\nphases: " + "[" * 40 + "]" * 40 + "\n", encoding="utf-8"
    )
    (folder / "edge.deep-unknown-kind.json").write_text(json.dumps({"kind": "nonsense", "x": deep}), encoding="utf-8")
    (folder / "edge.deep-and-duplicate.yaml").write_text(
        "kind: protocol\nid: a\nid: b\nx: " + "[" * 40 + "]" * 40 + "\n", encoding="utf-8"
    )
    text = yaml.safe_dump({**base, "id": "edge-ampersand", "title": "Sit & stand * slowly"}, sort_keys=False)
    (folder / "edge.ampersand.yaml").write_text(text, encoding="utf-8")
    (folder / "edge.anchor.yaml").write_text(text.replace("\nphases:", "\nphases: &p", 1), encoding="utf-8")
    (folder / "edge.two-documents.yaml").write_text(text + "---\nkind: protocol\n", encoding="utf-8")
    (folder / "edge.bad-tag.yaml").write_text(text.replace("title:", "title: !!binary", 1), encoding="utf-8")
    (folder / "edge.long-line.yaml").write_text(
        text.replace("title:", "title: " + "x" * 1200 + " #", 1), encoding="utf-8"
    )


def _standalone(data: dict, library: dict[str, dict]) -> dict:
    """The protocol with the exercises it names copied in from the library, as the benchmark's real corpus has it."""
    named = {ref["exercise"] for phase in data["phases"] for ref in phase["exercises"]}
    own = {e["id"] for e in data.get("exercises", ())}
    return {**data, "exercises": [*data.get("exercises", ()), *(library[n] for n in sorted(named - own))]}


def _real_copies(folder: Path, stem: str, data: dict, library: dict[str, dict]) -> None:
    """The benchmark's real document for ``data`` (a new id only) and three mutations reaching its exercises."""
    base = _standalone(data, library)
    copies = {name: copy.deepcopy(base) for name in ("real", "real-regression", "real-circular", "real-control")}
    first = lambda name: copies[name]["exercises"][0]  # noqa: E731 - the first exercise of one copy
    first("real-regression")["regression"] = "no-such-exercise"
    first("real-circular")["progression"] = first("real-circular")["id"]
    first("real-control")["cues"] = ["Breathe\x07 out slowly.", *first("real-control").get("cues", ())]
    for name, document in copies.items():
        document["id"] = f"{data['id']}-{name}"
        (folder / f"{stem}.{name}.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        as_json = {**document, "id": f"{document['id']}-json"}
        (folder / f"{stem}.{name}.json").write_text(json.dumps(as_json, indent=2), encoding="utf-8")


def _corpus(folder: Path) -> Path:
    neck = yaml.safe_load((PROTOCOLS / "neck" / "neck-pain.yaml").read_text(encoding="utf-8"))
    neck["reviewed"] = str(neck["reviewed"])
    _edge_cases(folder, neck)
    library = {
        e["id"]: e
        for name in sorted((PROTOCOLS / "exercises").glob("*.yaml"))
        for e in yaml.safe_load(name.read_text(encoding="utf-8"))["exercises"]
    }
    for source in sorted(PROTOCOLS.rglob("*.yaml")):
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        if data.get("kind") != "protocol":
            continue
        data["reviewed"] = str(data["reviewed"])
        for name, mutated in _mutations(data).items():
            (folder / f"{source.stem}.{name}.yaml").write_text(
                yaml.safe_dump(mutated, sort_keys=False), encoding="utf-8"
            )
            as_json = mutated if name == "bad-version" else {**mutated, "id": f"{mutated['id']}-json"}
            (folder / f"{source.stem}.{name}.json").write_text(json.dumps(as_json, indent=2), encoding="utf-8")
        _real_copies(folder, source.stem, data, library)
    return folder


def _findings(folder: Path, *options: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "rehabkit", "validate", *options, str(folder), "tests/corpus", "protocols"],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=REPO,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    return result.stdout.replace(str(folder), "<mutations>")


def test_findings_on_the_mixed_corpus_are_the_golden_ones(tmp_path) -> None:
    folder = _corpus(tmp_path)
    text = _findings(folder, "-j", "1")
    assert _findings(folder, "-j", "2") == text  # worker processes change nothing
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.exists(), "no golden file yet: run UPDATE_GOLDEN=1 pytest tests/test_golden_findings.py"
    expected = GOLDEN.read_text(encoding="utf-8")
    assert text.count("\n") > 100 and "RK020" in text and "RK101" in text and "RK201" in text and "RK301" in text
    assert text == expected, "findings changed: if on purpose, regenerate with UPDATE_GOLDEN=1 and review the diff"
