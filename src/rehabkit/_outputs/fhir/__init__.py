"""HL7 FHIR R4B and R5 exports of protocols and patient courses, and the import of an exported protocol.

The export is plain JSON built with the standard library (no FHIR library at
run time): :mod:`.plan` turns a protocol into a ``PlanDefinition``,
:mod:`.record` a patient's course into a ``Bundle``, :mod:`.reader` reads an
exported ``PlanDefinition`` back into a protocol document. Codes that are
terminology facts (LOINC, SNOMED CT, HL7 code systems) live in :mod:`.terms`;
every clinical word comes from the protocol's own data. docs/fhir.md has the
mapping table.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FHIR_VERSIONS", "render"]

#: The FHIR versions rehabkit writes, as ``--fhir`` names them.
FHIR_VERSIONS = ("r4b", "r5")


def render(content: Any, version: str) -> str:
    """A protocol export as a PlanDefinition, or a course export as a Bundle, in FHIR ``version``, as JSON text."""
    import json

    if content.kind == "protocol":
        from .plan import plan_definition

        resource = plan_definition(content.protocol, content.exercises, content.sources, version)
    else:
        from .record import course_bundle

        resource = course_bundle(content, version)
    return json.dumps(resource, indent=2, ensure_ascii=False) + "\n"
