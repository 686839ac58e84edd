"""How a command ends with an exit code other than success: it raises an exception that carries the code.

click's own idiom (``ClickException.exit_code``): a command raises, and click's ``main`` shows the exception
and exits with its code, in one place, after the command's ``with`` blocks (the session store, the patient's
lock) have closed. The codes themselves are :class:`rehabkit._common.exit_codes.ExitCode`'s; this module
gives each one the exception class click reads it from.
"""

from __future__ import annotations

from typing import IO, Any

import click

from .._common.exit_codes import EXIT_CODE_NAMES, ExitCode
from .._common.text import visible

__all__ = ["CommandExit", "error_exit", "exit_with", "request_error"]


class CommandExit(click.ClickException):
    """The command ends with :attr:`exit_code` after writing ``lines`` to standard error, one a line.

    ``stdout`` is written to standard output first (a refusal's JSON object under ``--format json``). Control
    characters in a line, a newline included, are written out, not sent (as :func:`rehabkit.cli.echo` does), unless
    ``as_is``: a line that may hold a pack's or a person's words is one line. Newlines that start a line are
    rehabkit's spacing (``"\\nSession 4 stopped."`` after an interrupted prompt): empty lines before it.
    click reads the exit code from the class, so each code has a subclass: :func:`exit_with` picks it.
    """

    exit_code = ExitCode.FINDINGS

    def __init__(self, *lines: str, stdout: str | None = None, as_is: bool = False) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.stdout = stdout
        self.as_is = as_is

    def show(self, file: IO[Any] | None = None) -> None:
        """What the command says as it ends: ``stdout``, then the lines on standard error (or ``file``)."""
        if self.stdout is not None:
            click.echo(self.stdout)
        for line in self.lines:
            if not self.as_is:
                text = line.lstrip("\n")
                line = "\n" * (len(line) - len(text)) + visible(text)
            click.echo(line, file=file, err=file is None)


_BY_CODE: dict[ExitCode, type[CommandExit]] = {
    code: type(
        f"Exit{code.name.title().replace('_', '')}",
        (CommandExit,),
        {
            "exit_code": code,
            "__module__": __name__,
            "__doc__": f"Ends the command with {int(code)} ({EXIT_CODE_NAMES[code]}).",
        },
    )
    for code in ExitCode
    if code is not ExitCode.OK
}


def exit_with(code: ExitCode, *lines: str, stdout: str | None = None, as_is: bool = False) -> CommandExit:
    """The exception (to raise) that ends the command with ``code`` after ``lines`` on standard error."""
    return _BY_CODE[code](*lines, stdout=stdout, as_is=as_is)


def error_exit(code: ExitCode, message: str) -> CommandExit:
    """The exception (to raise) that ends the command with ``code`` after ``rehabkit: error: MESSAGE``."""
    return exit_with(code, f"rehabkit: error: {message}")


def request_error(message: str, param: str | None) -> click.ClickException:
    """A request the course service refused (:class:`rehabkit._sessions.service.CourseRequestError`) as click's
    usage error (exit 2): naming the option at fault (``param``, e.g. ``--phase``), or the request as a whole."""
    if param is None:
        return click.UsageError(message)
    return click.BadParameter(message, param_hint=f"'{param}'")
