"""The ``rehabkit`` command: a click group whose subcommands are imported only when run.

``rehabkit --help`` must stay as fast as importing click alone, so this module
imports nothing heavier than click; each subcommand lives in its own module,
named in ``COMMANDS`` with its one-line help.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

import click

from .._common.exit_codes import ExitCode, exit_code_help, exit_code_table
from .._common.version import __version__
from .._plugins.command_table import COMMANDS

__all__ = ["COMMANDS", "AppState", "echo", "main"]

EXIT_CODES = exit_code_help()
#: Called once, when the packs are loaded and the registry built: set by the rehabkit command's own process
#: (:func:`rehabkit.__main__.run`) to let its paused garbage collector run again; ``None`` under CliRunner.
_after_start_up: Callable[[], None] | None = None


def echo(*lines: str, err: bool = False) -> None:
    """``click.echo`` of each of ``lines`` on a line of its own (none: an empty line), for text that may hold a
    pack's, a document's or a person's words (a title, a note, an id): every control character in a line, a
    newline included, is written out (``\\x0a``, ``\\x1b``), never sent, so no text can forge a line or move the
    cursor. Several lines are given as several arguments: ``echo(*render_text(protocol))``."""
    from .._common.text import visible

    for line in lines or ("",):
        click.echo(visible(line), err=err)


class AppState:
    """Options shared by every subcommand, and the plugin manager, created on first use."""

    def __init__(self, plugin_options: tuple[str, ...], strict: bool | None, color: str = "auto") -> None:
        self.plugin_options = plugin_options
        self.strict = strict
        #: ``--color``: ``auto`` (a terminal without NO_COLOR), ``always`` or ``never``.
        self.color = color
        self._manager: Any = None
        self._warned: set[str] = set()

    def colour(self, err: bool = False) -> bool:
        """Whether to colour standard output (``err``: standard error) under ``--color``."""
        if self.color != "auto":
            return self.color == "always"
        import sys

        from .._common.text import colour_wanted

        return colour_wanted(sys.stderr if err else sys.stdout)

    def style(self, text: str, *, err: bool = False, **style: Any) -> str:
        """``text`` in colour when :meth:`colour` says so (``fg="red"``, ``bold=True``), else as it is."""
        return click.style(text, **style) if self.colour(err) else text

    def manager(self, *, warn: bool = True, lenient: bool = False, **needs: bool) -> Any:
        """The loaded :class:`rehabkit._plugins.manager.PluginManager` with its registry built.

        ``lenient`` loads without ``--strict`` so that diagnostic commands can
        still show what is broken; they check ``self.strict_effective`` themselves.
        ``needs`` (``protocols=False``, ``exercises=False``, ``measures=False``)
        leaves what a command does not use unbuilt (see
        :meth:`rehabkit._plugins.manager.PluginManager.registry`).
        """
        if self._manager is None:
            from .._common.pack_budget import budget_seconds
            from .._plugins.manager import PluginManager

            try:
                budget_seconds()  # a bad REHABKIT_PACK_TIMEOUT is the user's to fix, before any pack runs
            except ValueError as exc:
                raise click.UsageError(str(exc)) from None
            manager = PluginManager.from_environment(self.plugin_options, strict=False if lenient else self.strict)
            manager.load()
            self._manager = manager
            manager.registry(**needs)
            if _after_start_up is not None:
                _after_start_up()
        else:
            self._manager.registry(**needs)
        if warn:
            self._warn()
        return self._manager

    def _warn(self) -> None:
        for line in self._manager.problems():
            if line not in self._warned:
                self._warned.add(line)
                echo(f"rehabkit: warning: {line}", err=True)

    def registry(self, **needs: bool) -> Any:
        """The :class:`rehabkit.Registry`, without what ``needs`` leaves out (``protocols=False`` ...)."""
        return self.manager(**needs).registry(**needs)

    def commands(self, *, warn: bool = True, lenient: bool = False) -> dict[str, Any]:
        """The subcommands the loaded packs add: name -> :class:`rehabkit.Registered` (a click command).

        The packs' protocols and exercise libraries are not parsed for this.
        """
        needs = {"protocols": False, "exercises": False, "measures": False}
        return dict(self.manager(warn=warn, lenient=lenient, **needs).registry(**needs).commands)

    @property
    def strict_effective(self) -> bool:
        """Whether --strict (or REHABKIT_STRICT_PLUGINS) is in force."""
        if self.strict is not None:
            return self.strict
        from .._plugins.manager import strict_from_environment

        return strict_from_environment()


def _state(ctx: click.Context) -> AppState:
    # Subcommands are resolved before the group's callback runs, so the state may not exist yet.
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState(
            tuple(root.params.get("plugin_options") or ()),
            root.params.get("strict"),
            root.params.get("color") or "auto",
        )
    return root.obj


def _pack_commands(ctx: click.Context) -> dict[str, click.Command]:
    return {name: registered.item for name, registered in _state(ctx).commands().items()}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *_pack_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            # Only a name rehabkit does not know loads the packs, to look for a pack's command.
            return _pack_commands(ctx).get(cmd_name)
        module_name, attr = COMMANDS[cmd_name][0].split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listed from COMMANDS so that `rehabkit --help` imports no command module and loads no
        # pack (loading the packs would make --help several times slower); like git's external
        # commands, pack commands are listed by `rehabkit plugins` and run as `rehabkit NAME`.
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_text) for name, (_, help_text) in sorted(COMMANDS.items())])
        with formatter.section("Commands from plugin packs"):
            formatter.write_text(
                "Installed packs may add commands: 'rehabkit plugins' lists them and "
                "'rehabkit NAME --help' explains one."
            )

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; what it raises that is not click's own becomes a :class:`rehabkit.cli.exits.CommandExit`,
        which click's ``main`` shows and exits with (as it does a subcommand's own)."""
        from .._common.errors import DamagedRecord, NotPermitted, PackInterrupted, PluginError
        from .exits import exit_with

        try:
            return super().invoke(ctx)
        except NotPermitted as exc:  # its lines are rehabkit's (the command that registers one on its own)
            first, *more = str(exc).split("\n")
            raise exit_with(ExitCode.NOT_PERMITTED, f"rehabkit: not permitted: {first}", *more) from None
        except DamagedRecord as exc:  # a damaged row met where it was read: named, exit 10, never a guess
            from .refusals import damaged_refusal

            raise damaged_refusal("text", exc) from None
        except PackInterrupted as exc:
            raise exit_with(ExitCode.INTERRUPTED, f"\nrehabkit: {exc}", as_is=True) from None
        except PluginError as exc:  # a line per failed pack, each shown as one line
            first, *more = str(exc).split("\n")
            raise exit_with(ExitCode.FAILURE, f"rehabkit: error: {first}", *more) from None
        except click.ClickException as exc:  # click shows its message as it is: one line, control characters shown
            from .._common.text import visible

            setattr(exc, "message", visible(exc.message))  # noqa: B010  (typed Final in click, written once here)
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`rehabkit list | head`): stop quietly, as other tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            ctx.exit(ExitCode.OK)
        except Exception as exc:
            if os.environ.get("REHABKIT_DEBUG"):
                raise
            code, message = _unexpected(exc)
            raise exit_with(code, *message.split("\n")) from None


def _unexpected(exc: Exception) -> tuple[ExitCode, str]:
    """The exit code and message for an exception no command turned into an exit: the store's database, or a bug."""
    if type(exc).__name__ == "InsufficientPrivilege":  # a login the store's owner has not registered as staff
        return ExitCode.NOT_PERMITTED, (
            "rehabkit: not permitted: this database login may not read or write the session store: the store's admin "
            "registers it with 'rehabkit staff add YOUR-STAFF-ID --role ROLE --db-role LOGIN'."
        )
    if type(exc).__module__.split(".")[0] == "psycopg":  # the store's PostgreSQL server, not a bug
        return ExitCode.FINDINGS, (
            f"rehabkit: error: the session store's PostgreSQL database could not be reached or written "
            f"({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}). Check that the "
            "server is running and reachable and that the database user may write to it; an interrupted "
            "session is marked incomplete when the next one starts."
        )
    if type(exc).__module__ == "sqlite3":  # the store's file, not a bug: say what to check
        return ExitCode.FINDINGS, (
            f"rehabkit: error: the session store could not be written or read ({exc}). Check that the file is "
            "writable and the disk has room, or choose another with --db; an interrupted session is marked "
            "incomplete when the next one starts."
        )
    return ExitCode.FAILURE, (
        f"rehabkit: internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in rehabkit or a plugin pack; set REHABKIT_DEBUG=1 for the traceback and report it."
    )


def _help_width() -> int:
    # click's own rule, min(terminal, 80) - 2 and at least 50, with the terminal size read
    # as shutil.get_terminal_size() does but without importing shutil (and with it bz2,
    # lzma and zlib), which click's help formatter would otherwise do on every --help.
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        try:
            columns = os.get_terminal_size(1).columns
        except (OSError, ValueError):
            columns = 80
    return max(min(columns, 80) - 2, 50)


@click.group(
    cls=LazyGroup,
    epilog=exit_code_table(),
    context_settings={"help_option_names": ["-h", "--help"], "terminal_width": _help_width()},
)
@click.version_option(__version__, "--version", prog_name="rehabkit")
@click.option(
    "-p",
    "plugin_options",
    multiple=True,
    metavar="NAME|no:NAME",
    help="Load only the named pack (repeatable), or block one with no:NAME. "
    "Environment: REHABKIT_LOAD_PLUGINS=a,b (allow-list; empty: none), REHABKIT_BLOCK_PLUGINS=a,b.",
)
@click.option(
    "--strict/--no-strict",
    default=None,
    help="Treat a failed or incompatible plugin pack or a conflict as an error (exit 3). "
    "Environment: REHABKIT_STRICT_PLUGINS=1.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour errors, warnings and stops: auto colours a terminal unless NO_COLOR is set.",
)
@click.pass_context
def main(ctx: click.Context, plugin_options: tuple[str, ...], strict: bool | None, color: str) -> None:
    """rehabkit: spine-rehabilitation exercise protocols as checked data.

    Protocols are JSON or YAML documents, checked against the published JSON
    Schema and by lint rules; plugin packs add protocols, exercises, screening
    questions and rules. Every plan assumes a prior clinical assessment.

    \b
    Examples:
      rehabkit validate protocols/
      rehabkit list
      rehabkit show neck-pain
      rehabkit -p no:neck plugins --format json
    """
    _state(ctx)
