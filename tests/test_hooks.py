"""The hook contract: the reference in docs/hooks.md matches hookspecs.py, and each hook works with a real pack.

Every hook has its own ``test_hook_<name>`` here (a meta-test checks), run
in-process with packs installed for real: the first-party packs in the test
environment and the example and test packs installed with pip into folders.
"""

from __future__ import annotations

import inspect
import sys

import click
import pluggy
import pytest

from rehabkit import hookimpl, hookspecs
from rehabkit._authoring.hookdoc import hook_docs, render_hook_reference
from rehabkit._plugins.entrypoints import entry_points
from rehabkit._plugins.manager import ENTRY_POINT_GROUP, PluginManager

from conftest import REPO

HOOK_NAMES = [d.name for d in hook_docs()]


def test_docs_hooks_md_is_generated_from_hookspecs() -> None:
    written = (REPO / "docs" / "hooks.md").read_text(encoding="utf-8")
    assert written == render_hook_reference(), (
        "docs/hooks.md does not match src/rehabkit/hookspecs.py: "
        "run 'python -m rehabkit._authoring.hookdoc --write docs/hooks.md' and review the change."
    )


def test_the_reference_shows_every_hook_pluggy_knows_with_its_exact_arguments() -> None:
    pm = pluggy.PluginManager("rehabkit")
    pm.add_hookspecs(hookspecs)
    specs = {name: getattr(pm.hook, name) for name in dir(pm.hook) if name.startswith("rehabkit_")}
    assert sorted(specs) == sorted(HOOK_NAMES)
    reference = render_hook_reference()
    for doc in hook_docs():
        caller = specs[doc.name]
        assert tuple(name for name, _, _ in doc.arguments()) == caller.spec.argnames
        assert doc.firstresult == bool(caller.spec.opts.get("firstresult"))
        arguments = ", ".join(f"{n}: {a}" for n, a, _ in doc.arguments())
        assert f"def {doc.name}({arguments}) -> {doc.returns}" in reference


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_every_hook_has_types_a_meaning_for_each_argument_and_an_example(name: str) -> None:
    doc = next(d for d in hook_docs() if d.name == name)
    assert doc.summary and doc.example, f"{name}: give it a docstring with a one-line summary and an Example::"
    assert f"def {name}(" in doc.example or "@hookimpl" in doc.example
    for argument, annotation, meaning in doc.arguments():
        assert annotation != str(inspect.Parameter.empty), f"{name}({argument}) has no type annotation"
        assert meaning, f"{name}({argument}): type {annotation} needs a '#:' comment or an import in hookspecs.py"
    assert doc.returns != str(inspect.Signature.empty)


def test_every_hook_has_its_own_test() -> None:
    missing = [name for name in HOOK_NAMES if f"test_hook_{name}" not in globals()]
    assert not missing, f"add test_hook_<name> for {missing} in tests/test_hooks.py"


@pytest.fixture
def manager(test_packs, monkeypatch) -> PluginManager:
    """The first-party packs, the example-clinic pack and the extras test pack, loaded for real."""
    folders = [str(test_packs["example-clinic"]), str(test_packs["extras"])]
    for folder in folders:
        monkeypatch.syspath_prepend(folder)
    found = entry_points(ENTRY_POINT_GROUP, path=[*folders, *sys.path])
    manager = PluginManager(entry_points=found)
    manager.load()
    manager.registry()
    return manager


def test_hook_rehabkit_register_protocols(manager) -> None:
    registered = manager.registry().protocols["neck-pain@2.1.0"]
    assert registered.pack == "neck"
    assert registered.source.endswith("neck-pain.yaml")
    assert registered.item.phases[0].id == "acute"


def test_hook_rehabkit_register_exercises(manager) -> None:
    exercises = manager.registry().exercises
    assert exercises["chin-tuck"].pack == "exercises"  # from a library document path
    assert exercises["chin-tuck"].source.endswith("spine-exercises.yaml")
    assert exercises["wall-angel"].pack == "test-extras"  # from one mapping
    assert exercises["wall-angel"].item.name == "Wall angel"


def test_hook_rehabkit_register_screening(manager) -> None:
    screening = manager.registry().screening
    assert screening["immune-or-steroid-treatment"].pack == "example-clinic"
    assert screening["immune-or-steroid-treatment"].item.action == "stop-and-review"


def test_hook_rehabkit_register_red_flag_libraries(manager) -> None:
    libraries = manager.registry().red_flag_libraries
    assert libraries["rehabkit-red-flags"].pack == "core"  # rehabkit's shared set, from its document
    assert libraries["rehabkit-red-flags"].source.endswith("shared_red_flags.json")
    assert libraries["test-extra-red-flags"].pack == "test-extras"  # from one mapping
    assert libraries["test-extra-red-flags"].item.question("test-extra-bone-thinning").covers == ("osteoporosis",)


def test_hook_rehabkit_register_lint_rules(manager) -> None:
    rules = {rule.code: rule for rule in manager.registry().rules()}
    assert rules["EXC001"].pack == "example-clinic"
    assert rules["RK301"].pack == "core"


def test_hook_rehabkit_register_outcome_measures(manager) -> None:
    psfs = manager.registry().measure("PSFS")
    assert psfs.pack == "example-clinic"
    assert psfs.score({"activity-1": 2, "activity-2": 4, "activity-3": 9}).value == pytest.approx(5.0)


def test_hook_rehabkit_register_commands(manager) -> None:
    commands = manager.registry().commands
    assert isinstance(commands["dose-table"].item, click.Command)
    assert commands["dose-table"].pack == "example-clinic"


def test_hook_rehabkit_register_renderers(manager) -> None:
    from rehabkit import Handout, Renderer
    from rehabkit._outputs.handout import build_handout
    from rehabkit.engine import plan_session

    registry = manager.registry()
    renderers = registry.renderers
    assert {name: r.pack for name, r in renderers.items()} == {
        "html": "core",
        "pdf": "core",
        "markdown": "core",
        "icalendar": "core",
        "fhir-r4b": "core",
        "fhir-r5": "core",
        "clinic-handout": "example-clinic",
    }
    assert isinstance(renderers["clinic-handout"].item, Renderer)
    # By the file's ending rehabkit's own comes first; by name, the pack's.
    assert registry.renderer_for("protocol-phase", "md").name == "markdown"
    assert registry.renderer_for("protocol-phase", "md", "clinic-handout").pack == "example-clinic"
    with pytest.raises(LookupError, match=r"no installed renderer writes course-reports as \.md files"):
        registry.renderer_for("course-report", "md")
    protocol = registry.find_protocol("neck-pain").item
    handout = build_handout(plan_session(protocol, "acute", registry.exercise_library()), policy=registry.policy())
    assert isinstance(handout, Handout)
    text = renderers["clinic-handout"].item.function(handout)
    assert text.startswith("**Example Spine Clinic")


def test_hook_rehabkit_progression_decision(manager) -> None:
    from rehabkit.engine import Decision, Facts, SessionResult, plan_session

    registry = manager.registry()
    protocol = registry.find_protocol("neck-pain").item
    plan = plan_session(protocol, "acute", registry.exercise_library())
    calm = SessionResult(pain_before=2, pain_during={"all": 1}, pain_after=2)
    assert manager.decide(plan, calm, Facts()).action == "continue"  # rehabkit's default policy

    class AlwaysReview:
        @hookimpl
        def rehabkit_progression_decision(self, plan, result, facts):
            return Decision(action="stop-and-review", reasons=("weekly review day",))

    manager.pm.register(AlwaysReview(), name="always-review")
    assert manager.decide(plan, calm, Facts()).reasons == ("weekly review day",)


def test_every_contribution_hook_has_one_row_a_registry_table_and_a_builder() -> None:
    import attrs

    from rehabkit import hookspecs
    from rehabkit._plugins.manager import _Registrar
    from rehabkit._plugins.registry import KINDS, Registry

    specs = sorted(name for name in hookspecs.__all__ if name.startswith("rehabkit_register_"))
    assert sorted(kind.hook for kind in KINDS) == specs
    tables = {field.name for field in attrs.fields(Registry)}
    for kind in KINDS:
        assert kind.attribute in tables, kind
        assert callable(getattr(_Registrar, f"_{kind.hook.removeprefix('rehabkit_register_')}", None)), kind


def test_hook_rehabkit_register_clinical_policy(manager) -> None:
    registry = manager.registry()
    setting = registry.clinical_policy["red_flags.required_signs"]
    assert setting.pack == "example-clinic"
    assert "immunosuppression" in registry.policy()["red_flags"]["required_signs"]
    assert registry.policy()["dose_bounds"]["reps"]["max"] == 50  # settings it did not give keep their default
