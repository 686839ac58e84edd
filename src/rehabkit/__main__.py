"""``python -m rehabkit`` and the ``rehabkit`` console script: both call :func:`run`, the command in its own process.

Importing this module pauses Python's cyclic garbage collector, so import it only to run the command
(code that drives the command in its own process, such as click's ``CliRunner``, uses
:data:`rehabkit.cli.main`, which leaves the collector alone).

Start-up (importing, loading the packs, building the registry) makes some hundred thousand objects that
live as long as the process, and the collector walked them again and again as they were made. So it is
paused from the first import until the registry is built; then those objects are frozen (``gc.freeze``: the
collector leaves them alone, as Python's documentation advises before forking workers, which ``validate``
does) and it runs again for the command's own work. When the command has finished, what is still alive is
frozen too, so that the interpreter's last collections at shutdown do not walk it all. Together about
15 ms, a sixth of ``rehabkit validate one.json``. Objects are still released as soon as nothing refers to
them; only reference cycles made during start-up or left at exit are not searched for, and every file and
database a command opens is closed by then. A command that loads no pack (``db``, ``schema``,
``new-plugin``) runs with the collector paused throughout: it makes no cycles worth collecting.
"""

from __future__ import annotations

import gc

gc.disable()  # before click and the rest are imported: see above

from . import cli  # noqa: E402 - after pausing the collector, on purpose

__all__ = ["run"]


def run(prog_name: str | None = None) -> None:
    """Run the rehabkit command on ``sys.argv`` and exit with its exit code."""
    cli._after_start_up = _resume_collector
    try:
        cli.main(prog_name=prog_name)
    finally:
        gc.freeze()


def _resume_collector() -> None:
    gc.freeze()
    gc.enable()


if __name__ == "__main__":
    run(prog_name="rehabkit")
