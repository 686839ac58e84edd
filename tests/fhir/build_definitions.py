"""Build tests/fhir/definitions-r4b.json and definitions-r5.json from the official HL7 core packages.

The FHIR checks in tests/test_fhir.py run offline against a small subset of
``hl7.fhir.r4b.core`` 4.3.0 and ``hl7.fhir.r5.core`` 5.0.0 (the npm registry's
packages, CC0): for each resource and data type an export can hold, every
element's path, cardinality, types, required binding and invariants
(constraint key, severity, FHIRPath expression), and the codes of every value
set a required binding names, expanded from the package's code systems. Run it
again to refresh the subset:

    python tests/fhir/build_definitions.py            # fetches the two packages with 'npm pack'
    python tests/fhir/build_definitions.py DIR        # or reads DIR/<package>/package/*.json
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGES = {"r4b": "hl7.fhir.r4b.core@4.3.0", "r5": "hl7.fhir.r5.core@5.0.0"}
#: What the exports hold; data types are followed from their elements.
RESOURCES = (
    "PlanDefinition",
    "ActivityDefinition",
    "Questionnaire",
    "QuestionnaireResponse",
    "CarePlan",
    "Observation",
    "Bundle",
)


def _load(folder: Path) -> dict[str, dict]:
    files = {}
    for path in folder.glob("*.json"):
        if path.name.startswith(("StructureDefinition-", "ValueSet-", "CodeSystem-")):
            files[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return files


def _concepts(concepts: list[dict]) -> list[str]:
    out = []
    for concept in concepts:
        out.append(concept["code"])
        out.extend(_concepts(concept.get("concept", [])))
    return out


def _expand(url: str, by_url: dict[str, dict]) -> dict:
    valueset = by_url.get(url.split("|")[0])
    if valueset is None:
        return {"unexpandable": "not in the package"}
    codes: list[list[str]] = []
    for include in valueset.get("compose", {}).get("include", []):
        system = include.get("system")
        if include.get("filter") or include.get("valueSet"):
            return {"unexpandable": "uses a filter or another value set"}
        if include.get("concept"):
            codes += [[system, c["code"]] for c in include["concept"]]
            continue
        codesystem = by_url.get(system)
        if codesystem is None or codesystem.get("content") != "complete":
            return {"unexpandable": f"code system {system} is not in the package in full"}
        codes += [[system, code] for code in _concepts(codesystem.get("concept", []))]
    if valueset.get("compose", {}).get("exclude"):
        return {"unexpandable": "excludes codes"}
    return {"codes": codes}


def build(folder: Path, version: str, package: str) -> dict:
    files = _load(folder)
    by_url = {f["url"]: f for f in files.values() if "url" in f}
    structures = {
        f["id"]: f
        for name, f in files.items()
        if name.startswith("StructureDefinition-")
        and f.get("kind") in ("resource", "complex-type")
        and f.get("derivation") != "constraint"
    }
    wanted = [*RESOURCES, "Resource", "DomainResource", "Element", "BackboneElement"]
    types: dict[str, list[dict]] = {}
    valuesets: dict[str, dict] = {}
    while wanted:
        name = wanted.pop()
        if name in types or name not in structures:
            continue
        elements = []
        for element in structures[name]["snapshot"]["element"]:
            kept = {
                "path": element["path"],
                "min": element.get("min", 0),
                "max": element.get("max", "*"),
                "types": [t["code"] for t in element.get("type", [])],
            }
            if "contentReference" in element:
                kept["contentReference"] = element["contentReference"].split("#", 1)[1]
            binding = element.get("binding", {})
            if binding.get("strength") == "required" and binding.get("valueSet"):
                kept["binding"] = binding["valueSet"]
                valuesets.setdefault(binding["valueSet"], _expand(binding["valueSet"], by_url))
            constraints = [
                {"key": c["key"], "severity": c["severity"], "human": c.get("human", ""), "expression": c["expression"]}
                for c in element.get("constraint", [])
                if c.get("expression")
            ]
            if constraints:
                kept["constraints"] = constraints
            elements.append(kept)
            for code in kept["types"]:
                if code[:1].isupper() and code not in types:
                    wanted.append(code)
        types[name] = elements
    return {
        "package": package,
        "license": "CC0-1.0 (HL7 FHIR core definitions)",
        "types": types,
        "valueSets": valuesets,
    }


def main(argv: list[str]) -> int:
    for version, package in PACKAGES.items():
        if argv:
            folder = Path(argv[0]) / package.replace("@", "-") / "package"
            out = build(folder, version, package)
        else:
            with tempfile.TemporaryDirectory() as temporary:
                subprocess.run(
                    ["npm", "pack", package, "--silent"], cwd=temporary, check=True, stdout=subprocess.DEVNULL
                )
                tarball = next(Path(temporary).glob("*.tgz"))
                with tarfile.open(tarball) as archive:
                    archive.extractall(temporary, filter="data")
                out = build(Path(temporary) / "package", version, package)
        target = HERE / f"definitions-{version}.json"
        target.write_text(json.dumps(out, indent=0, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {target} ({len(out['types'])} types, {len(out['valueSets'])} value sets)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
