"""rehabkit's own features, registered through the same hooks as third-party packs.

``DEFAULT_PLUGINS`` lists the modules the plugin manager registers before any
pack, under the pack name ``core``.
"""

DEFAULT_PLUGINS = (
    "rehabkit.default_plugins.lint_rules",
    "rehabkit.default_plugins.outcome_measures",
    "rehabkit.default_plugins.progression",
    "rehabkit.default_plugins.red_flag_library",
    "rehabkit.default_plugins.renderers",
)

__all__ = ["DEFAULT_PLUGINS"]
