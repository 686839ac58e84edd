"""The library schemas made self-contained: the protocol schema's definitions they use, copied in.

A standard validator given only ``exercise-library.schema.json`` or ``red-flag-library.schema.json``
(check-jsonschema, an editor's YAML language server) cannot fetch ``protocol.schema.json`` from the
schema's ``$id``, so each library schema carries copies of the ``$defs`` it
needs. The protocol schema stays the one place they are written:
``python -m rehabkit._documents.schema_bundle --write schemas/exercise-library.schema.json`` (or the
red-flag library's) refreshes the copies, and a test fails when they drift.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

__all__ = ["bundle_library_schema"]

_REF = re.compile(r"^(?:protocol\.schema\.json)?#/\$defs/([A-Za-z]+)$")


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and (match := _REF.match(value)):
                found.add(match.group(1))
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _local(node: Any) -> Any:
    """The node with references to the protocol schema's definitions made local (``#/$defs/NAME``)."""
    if isinstance(node, dict):
        return {
            k: (
                f"#/$defs/{_REF.match(v).group(1)}"  # type: ignore[union-attr]
                if k == "$ref" and isinstance(v, str) and _REF.match(v)
                else _local(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_local(v) for v in node]
    return node


def bundle_library_schema(library: dict[str, Any], protocol: dict[str, Any]) -> dict[str, Any]:
    """The library schema with every protocol definition it reaches copied into its own ``$defs``."""
    out = _local(copy.deepcopy({k: v for k, v in library.items() if k != "$defs"}))
    wanted = _refs(library.get("properties", {}))
    defs: dict[str, Any] = {}
    while wanted:
        name = wanted.pop()
        if name in defs:
            continue
        defs[name] = protocol["$defs"][name]
        wanted |= _refs(defs[name]) - set(defs)
    out["$defs"] = {name: defs[name] for name in sorted(defs)}
    return dict(out)


def main(argv: list[str]) -> int:
    """``--write PATH`` writes the bundled library schema named as PATH is (the exercise library's by default);
    without it, prints it."""
    root = Path(__file__).parent.parent / "schema_files"
    name = Path(argv[1]).name if argv[:1] == ["--write"] and len(argv) == 2 else "exercise-library.schema.json"
    library = json.loads((root / name).read_text(encoding="utf-8"))
    protocol = json.loads((root / "protocol.schema.json").read_text(encoding="utf-8"))
    text = json.dumps(bundle_library_schema(library, protocol), indent=2, ensure_ascii=False) + "\n"
    if argv[:1] == ["--write"] and len(argv) == 2:
        Path(argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
