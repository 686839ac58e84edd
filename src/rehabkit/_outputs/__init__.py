"""What rehabkit hands to people and systems: handouts, course reports, calendars and FHIR exports (:mod:`.fhir`),
made by renderers.

The content (:mod:`.content`) is worked out once from the protocol and the
patient's course; each renderer only lays it out for its format, escaping
every string for that format. rehabkit's own renderers are registered as pack
``core`` (:mod:`rehabkit.default_plugins.renderers`).
"""
