"""The finding codes that are not lint rules: reading, parsing, the schema, suppressions and failures.

``rehabkit rules CODE`` explains these as it explains lint rules; the README's
table of finding codes is kept equal to :data:`FINDING_CODES` by a test.
"""

from __future__ import annotations

__all__ = ["FINDING_CODES"]

#: code -> (summary, as in the README table; what to do about it).
FINDING_CODES: dict[str, tuple[str, str]] = {
    "RK000": (
        "internal error (exit 3)",
        "rehabkit itself failed on this file. Run again with REHABKIT_DEBUG=1 to see the traceback and report it.",
    ),
    "RK001": (
        "the file could not be read, or has an unknown suffix",
        "Check that the path exists and is readable, and that the file ends in .json, .yaml or .yml.",
    ),
    "RK002": (
        "the file is larger than the size limit (1 MiB)",
        "A protocol document is a few dozen kilobytes; a larger file is almost always the wrong file.",
    ),
    "RK003": ("the file is not valid UTF-8", "Save the file as UTF-8 in your editor."),
    "RK004": ("the file is empty", "Write the document, or remove the empty file."),
    "RK005": (
        "JSON or YAML syntax error (or more than one YAML document)",
        "Fix the syntax at the line and column given; keep one document per file (no second '---').",
    ),
    "RK006": (
        "a key appears twice in one mapping",
        "JSON and YAML parsers silently keep only one of two equal keys, so one of them would be lost: keep one.",
    ),
    "RK007": (
        'YAML anchors, aliases and merge keys are refused (no "billion laughs")',
        "Write the content out in full: aliases can expand a small file into a huge one, "
        "and hide what a protocol says.",
    ),
    "RK008": (
        "nesting deeper than 32 levels",
        "No protocol needs that depth; it usually means a structure went wrong or a hostile file.",
    ),
    "RK009": (
        "a key or value JSON cannot represent (non-text key, NaN, `!!binary`, ...)",
        "Use text keys and plain numbers and strings; the document must mean the same in JSON and YAML.",
    ),
    "RK010": (
        "a directory holds no protocol documents",
        "Point validate at a folder with .json/.yaml/.yml documents, or at the files themselves.",
    ),
    "RK011": (
        "a suppression without a reason (it suppresses nothing)",
        "Add the reason after the code: '# rehabkit: ignore[RK204] why this is accepted', or a 'reason' field.",
    ),
    "RK012": (
        "warning: a suppression that matched no finding, or names an unknown rule",
        "Remove the stale suppression, or correct its code or path.",
    ),
    "RK013": (
        "two files among the paths hold the same protocol (or library) id and version",
        "Give one of them a new version (or id), or remove the copy: a patient's sessions must name one document.",
    ),
    "RK020": (
        "the document does not match the schema (or has an unknown `kind`)",
        "The message names the field and what it must be; "
        "'rehabkit schema' prints the schema with every field described.",
    ),
    "RK099": (
        "a lint rule from a pack raised or ran out of time; its check was skipped (exit 3, in every command that "
        "checks the protocol)",
        "The pack's rule has a bug, or took longer than REHABKIT_PACK_TIMEOUT seconds: the message names the pack. "
        "Report it to the pack's authors, or block the pack with -p no:NAME; other rules still ran.",
    ),
}
