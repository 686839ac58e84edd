"""Generate the hook reference (docs/hooks.md) from ``hookspecs.py``, so that it cannot drift.

``python -m rehabkit._authoring.hookdoc`` prints it; ``python -m rehabkit._authoring.hookdoc --write
docs/hooks.md`` rewrites the file. A test compares the file with this output,
so changing a hook without regenerating the reference fails the suite.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import hookspecs
from .._common.version import HOOK_API_VERSION

__all__ = ["HookDoc", "hook_docs", "main", "render_hook_reference"]

HEADER = """\
# Hook reference

<!-- Generated from src/rehabkit/hookspecs.py by `python -m rehabkit._authoring.hookdoc --write docs/hooks.md`.
     Do not edit by hand: tests/test_hooks.py fails when this file and the hooks disagree. -->

A plugin pack implements any of these functions in the module its entry point
(group `rehabkit`) names, each decorated with `@rehabkit.hookimpl`, and sets
`REHABKIT_HOOK_API = {api}` in that module: the hook API version this reference
describes. An implementation may accept any subset of a hook's arguments, by
name; a `@hookimpl` whose name is not below, or that asks for an argument its
hook does not offer, fails the pack when it loads. `rehabkit plugins` shows
which hooks each installed pack implements.

The tutorial is [plugins.md](plugins.md).

| hook | arguments | returns | firstresult |
|------|-----------|---------|-------------|
"""


class HookDoc:
    """One hook specification, as the reference shows it."""

    def __init__(self, function: Any, aliases: dict[str, str]) -> None:
        self.name: str = function.__name__
        self.signature = inspect.signature(function)
        options = getattr(function, "rehabkit_spec", {}) or {}
        self.firstresult = bool(options.get("firstresult"))
        self.doc = inspect.getdoc(function) or ""
        self.aliases = aliases

    @property
    def summary(self) -> str:
        """The first line of the docstring."""
        return _markdown(self.doc.splitlines()[0]) if self.doc else ""

    @property
    def example(self) -> str:
        """The example after ``Example::`` in the docstring, dedented ('' if none)."""
        _, marker, rest = self.doc.partition("Example::")
        return textwrap.dedent(rest).strip("\n") if marker else ""

    @property
    def body(self) -> str:
        """The docstring between the first line and the example, with its reST markup made Markdown."""
        return _markdown("\n".join(self.doc.partition("Example::")[0].splitlines()[1:]).strip())

    def arguments(self) -> Iterator[tuple[str, str, str]]:
        """(name, annotation, what the annotation stands for) per argument."""
        for parameter in self.signature.parameters.values():
            annotation = str(parameter.annotation)
            yield parameter.name, annotation, self.aliases.get(annotation, "")

    @property
    def returns(self) -> str:
        """The return annotation as written."""
        return str(self.signature.return_annotation)

    def render(self) -> str:
        """The reference section for this hook, in Markdown."""
        arguments = ", ".join(f"{name}: {annotation}" for name, annotation, _ in self.arguments())
        lines = [
            f"## `{self.name}`",
            "",
            f"```python\n@hookspec{'(firstresult=True)' if self.firstresult else ''}",
            f"def {self.name}({arguments}) -> {self.returns}\n```",
            "",
            self.summary,
            "",
        ]
        if self.body:
            lines += [self.body, ""]
        lines += ["| argument | type | what it is |", "|----------|------|------------|"]
        for name, annotation, meaning in self.arguments():
            lines.append(f"| `{name}` | {_cell(f'`{annotation}`')} | {_cell(meaning)} |")
        lines += [
            "",
            f"**Returns** `{self.returns}`. "
            + (
                "**firstresult**: the first implementation that returns something other than `None` "
                "decides; the others are not called."
                if self.firstresult
                else "Every pack's implementation is called; the order between packs is not guaranteed."
            ),
            "",
        ]
        if self.example:
            lines += ["Example:", "", "```python", self.example, "```", ""]
        return "\n".join(lines)


def _markdown(text: str) -> str:
    """reST roles and double backquotes, as docstrings write them, in Markdown."""
    text = re.sub(r":(?:class|func|meth|mod):`~?([^`]+)`", r"`\1`", text)
    return re.sub(r"``([^`]+)``", r"`\1`", text)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _aliases() -> dict[str, str]:
    """What each type named in a hook's signature stands for.

    For an alias defined in hookspecs.py (``RegisterProtocol`` ...), the ``#:``
    comment above it; for a class imported there, its full name.
    """
    source = Path(hookspecs.__file__).read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for alias in node.names:
                found[alias.name] = f"a `rehabkit.{node.module}.{alias.name}`"
    found.update({f"{name} | None": f"{text}, or `None`" for name, text in found.items()})
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            comment: list[str] = []
            number = node.lineno - 2
            while number >= 0 and lines[number].startswith("#:"):
                comment.insert(0, lines[number][2:].strip())
                number -= 1
            if comment:
                found[node.targets[0].id] = _markdown(" ".join(comment))
    return found


def hook_docs() -> list[HookDoc]:
    """Every hook in ``hookspecs.py``, in the order the file defines them."""
    aliases = _aliases()
    functions = [
        value for name, value in vars(hookspecs).items() if name.startswith("rehabkit_") and inspect.isfunction(value)
    ]
    functions.sort(key=lambda f: f.__code__.co_firstlineno)
    return [HookDoc(function, aliases) for function in functions]


def render_hook_reference() -> str:
    """The whole of docs/hooks.md."""
    docs = hook_docs()
    lines = [HEADER.format(api=HOOK_API_VERSION).rstrip("\n")]
    for doc in docs:
        arguments = ", ".join(f"`{name}`" for name, _, _ in doc.arguments())
        returns = _cell(f"`{doc.returns}`")
        lines.append(
            f"| [`{doc.name}`](#{doc.name}) | {arguments} | {returns} | {'yes' if doc.firstresult else 'no'} |"
        )
    lines.append("")
    lines += [doc.render() for doc in docs]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m rehabkit._authoring.hookdoc [--write FILE]``."""
    args = sys.argv[1:] if argv is None else argv
    text = render_hook_reference()
    if args[:1] == ["--write"] and len(args) == 2:
        Path(args[1]).write_text(text, encoding="utf-8")
        return 0
    if args:
        print("usage: python -m rehabkit._authoring.hookdoc [--write FILE]", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
