"""The built-in commands of ``rehabkit``: where each lives and its one-line help.

A module of its own, with no imports, so that the command line can list the
commands without importing them and the plugin loader can refuse a pack
command that takes a built-in name without importing the command line.
"""

from __future__ import annotations

__all__ = ["COMMANDS"]

#: name -> (module:function, one-line help shown by ``rehabkit --help``).
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("rehabkit.cli.validate:validate", "Check protocol files against the schema and lint rules."),
    "list": ("rehabkit.cli.catalog:list_protocols", "List the protocols installed packs provide."),
    "show": ("rehabkit.cli.catalog:show", "Show one installed protocol in full."),
    "exercises": (
        "rehabkit.cli.exercises_cmd:exercises",
        "List installed exercises (ids, movements, stages), or show one.",
    ),
    "plugins": ("rehabkit.cli.plugins_cmd:plugins", "List plugin packs, their hooks and load status."),
    "run": ("rehabkit.cli.run_cmd:run", "Run today's session: screening, exercises, pain, decision."),
    "history": ("rehabkit.cli.patient_cmds:history", "List a patient's sessions, pain and decisions."),
    "next-day": ("rehabkit.cli.patient_cmds:next_day", "Record a patient's pain the morning after a session."),
    "measure": ("rehabkit.cli.patient_cmds:measure", "Score and record an outcome measure (ODI, NDI, ...)."),
    "approve": (
        "rehabkit.cli.course_cmds:approve",
        "Record a clinician's approval or a surgeon's clearance for a phase.",
    ),
    "review": (
        "rehabkit.cli.course_cmds:review",
        "Record a clinician's review: resume, earlier phase, discharge or refer.",
    ),
    "handout": (
        "rehabkit.cli.output_cmds:handout",
        "Write a printable handout: a protocol's phase or a patient's plan.",
    ),
    "report": ("rehabkit.cli.output_cmds:report", "Write a patient's course report with charts (HTML or PDF)."),
    "calendar": ("rehabkit.cli.output_cmds:calendar", "Write a patient's plan as an iCalendar (.ics) file."),
    "export": ("rehabkit.cli.fhir_cmds:export", "Export a protocol or a patient's course as HL7 FHIR (R4B or R5)."),
    "import": (
        "rehabkit.cli.fhir_cmds:import_protocol",
        "Read a FHIR PlanDefinition rehabkit exported back into a protocol.",
    ),
    "rules": ("rehabkit.cli.rules_cmd:rules", "List the lint rules, or explain one (rehabkit rules RK303)."),
    "schema": ("rehabkit.cli.schema_cmd:schema", "Print a published JSON Schema (for editors and CI)."),
    "upgrade": ("rehabkit.cli.upgrade_cmd:upgrade", "Rewrite protocols of an older format to the current one."),
    "staff": ("rehabkit.cli.staff_cmds:staff", "Register who may act on the store's courses, and their roles."),
    "clinic": ("rehabkit.cli.clinic_cmd:clinic", "List the patients who need attention, most urgent first."),
    "db": ("rehabkit.cli.db_cmds:db", "Show, upgrade or copy a session store (SQLite or PostgreSQL)."),
    "audit": ("rehabkit.cli.audit_cmds:audit", "Verify the store's tamper-evident audit trail, or list its entries."),
    "patient": ("rehabkit.cli.patient_data_cmds:patient", "Export everything held on a patient, or erase it."),
    "invite": ("rehabkit.cli.invite_cmd:invite", "Make a patient's single-use sign-in link to their own pages."),
    "serve": ("rehabkit.cli.serve_cmd:serve", "Serve the patient's session in a browser (needs rehabkit[serve])."),
    "new-plugin": (
        "rehabkit.cli.new_plugin_cmd:new_plugin",
        "Create a plugin pack: package, hooks, sample protocol, tests.",
    ),
}
