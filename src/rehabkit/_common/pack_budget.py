"""A time budget for a plugin pack's code, and Ctrl-C told apart from a ``KeyboardInterrupt`` a pack raised.

A pack's hook, lint rule, progression policy or renderer runs inside :func:`watched`. There, on the main thread
of a POSIX system (where ``SIGALRM`` exists):

* the code gets ``REHABKIT_PACK_TIMEOUT`` seconds (:data:`DEFAULT_SECONDS` by default; ``0`` or ``off``: no
  budget). When they run out, :class:`PackTimedOut` is raised inside the pack's code, wherever Python can
  interrupt it (between bytecodes, in ``time.sleep``, in a blocking read): its caller sets the code aside, named,
  as it does code that raised. Code stuck inside a C call that does not return to Python (a C extension's loop)
  is not interrupted; Ctrl-C then still names the pack.
* a ``SIGINT`` (the user's Ctrl-C) is recorded as it arrives, so that :attr:`Watch.interrupted` says whether a
  ``KeyboardInterrupt`` is the user's or one the pack raised itself (which is the pack failing, not the user).

Elsewhere (Windows, or a thread other than the main one, as in a web server's workers) there is no budget, and a
``KeyboardInterrupt`` is taken to be the user's, as Python itself does. A pack's import is not interrupted (a
module half imported cannot be used or unloaded safely); :func:`still_running_notice` says which pack is still
loading once the budget has passed, and how to block it.

Only :mod:`signal`, :mod:`threading` and :mod:`os` are used: this module sits at the bottom layer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping

__all__ = [
    "DEFAULT_SECONDS",
    "ENVIRONMENT_VARIABLE",
    "PackTimedOut",
    "Watch",
    "budget_seconds",
    "paused",
    "still_running_notice",
    "watched",
]

#: The environment variable that sets the budget, in seconds (``0`` or ``off``: none).
ENVIRONMENT_VARIABLE = "REHABKIT_PACK_TIMEOUT"
#: The budget when the environment sets none: far more than any hook or rule needs, short enough not to be
#: mistaken for a hang.
DEFAULT_SECONDS = 5.0


class PackTimedOut(BaseException):
    """Raised inside a pack's code when its time budget ran out (a ``BaseException``, so that a pack's own
    ``except Exception`` does not swallow it)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g} s and was stopped ({ENVIRONMENT_VARIABLE} sets the budget)")
        self.seconds = seconds


def budget_seconds(env: Mapping[str, str] | None = None) -> float | None:
    """The budget ``REHABKIT_PACK_TIMEOUT`` sets, in seconds (``None``: no budget).

    Raises :class:`ValueError`, naming the variable and what it accepts, for a value that is not a number of
    seconds."""
    env = os.environ if env is None else env
    text = env.get(ENVIRONMENT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_SECONDS
    if text.lower() in ("0", "off", "no", "false", "none"):
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(
            f"{ENVIRONMENT_VARIABLE}={text!r} is not a number of seconds: give one such as 5 or 0.5, "
            "or 0 (or off) for no time limit on plugin packs' code."
        )
    return seconds


def _budget_or_default() -> float | None:
    """The budget, or the default for a value the command line has already refused (see rehabkit.cli)."""
    try:
        return budget_seconds()
    except ValueError:
        return DEFAULT_SECONDS


class Watch:
    """What happened while a pack's code ran: whether the user's Ctrl-C arrived."""

    __slots__ = ("done", "interrupted", "seconds", "watching")

    def __init__(self, seconds: float | None, *, watching: bool) -> None:
        self.seconds = seconds
        #: True when a SIGINT was recorded while the code ran.
        self.interrupted = False
        #: Whether a SIGINT would have been recorded (False where signals cannot be watched).
        self.watching = watching
        self.done = False

    def by_the_user(self, exc: BaseException) -> bool:
        """True when ``exc``, raised by the watched code, stands for the user's Ctrl-C: a SIGINT arrived (whatever
        the pack turned it into), or a KeyboardInterrupt where it cannot be told whose it is."""
        return self.interrupted or (isinstance(exc, KeyboardInterrupt) and not self.watching)


_active: list[Watch] = []


def _signals_usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def watched(*, budget: bool = True, seconds: float | None = None) -> Iterator[Watch]:
    """Run a pack's code under a watch: with ``budget``, ``seconds`` (default: :func:`budget_seconds`) to run,
    after which :class:`PackTimedOut` is raised inside it; always, a record of a SIGINT that arrives.

    Nested in a watch with a budget, the outer watch goes on (its budget covers the inner code). Where signals
    cannot be used (see the module's documentation) nothing is installed and any KeyboardInterrupt is the user's
    (:meth:`Watch.by_the_user`)."""
    outer = _active[-1] if _active else None
    if outer is not None and (outer.seconds is not None or not budget):
        yield outer  # the outer watch's budget covers the inner code
        return
    if not _signals_usable():
        yield Watch(None, watching=False)
        return
    if budget and seconds is None:
        seconds = _budget_or_default()
    previous_int = signal.getsignal(signal.SIGINT)
    # Python's own Ctrl-C handler is replaced by one that records the signal; with SIGINT ignored or left to
    # the system no Ctrl-C reaches Python, so any KeyboardInterrupt is the pack's; a handler of someone else's
    # is left alone, and a KeyboardInterrupt is then taken to be the user's.
    # Inside an outer watch without a budget (rehabkit's own rule asking for a pack's hook), the outer's handler is
    # replaced by one that records the signal for both.
    watch_int = previous_int is signal.default_int_handler or (outer is not None and outer.watching)
    watch = Watch(seconds if budget else None, watching=watch_int or not callable(previous_int))

    def on_interrupt(signum: int, frame: object) -> None:
        for each in _active:
            each.interrupted = True
        raise KeyboardInterrupt

    def on_alarm(signum: int, frame: object) -> None:
        if not watch.done and watch.seconds is not None:
            raise PackTimedOut(watch.seconds)

    previous_alarm = signal.getsignal(signal.SIGALRM) if watch.seconds is not None else None
    if watch_int:
        signal.signal(signal.SIGINT, on_interrupt)
    if watch.seconds is not None:
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, watch.seconds)
    _active.append(watch)
    try:
        yield watch
    finally:
        watch.done = True
        if watch.seconds is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_alarm)
        if watch_int:
            signal.signal(signal.SIGINT, previous_int)
        _active.pop()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Stop the clock of the watch in force while rehabkit's own code runs inside a pack's call (the ``register``
    callback building a protocol a pack registered): a pack is given its budget for its own code."""
    watch = _active[-1] if _active else None
    if watch is None or watch.seconds is None or watch.done:
        yield
        return
    remaining, _interval = signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield
    finally:
        if remaining > 0 and not watch.done:  # none left: the alarm has been delivered and is being handled
            signal.setitimer(signal.ITIMER_REAL, remaining)


@contextlib.contextmanager
def still_running_notice(message: str, seconds: float | None = None) -> Iterator[None]:
    """Write ``message`` to standard error if the code inside is still running after ``seconds`` (default: the
    budget; no notice when there is none), with ``{seconds}`` in it replaced by their number. Works on any thread
    and system: a timer thread writes it."""
    if seconds is None:
        seconds = _budget_or_default()
    if seconds is None:
        yield
        return
    stderr = sys.__stderr__ or sys.stderr
    text = message.replace("{seconds}", f"{seconds:g}")
    timer = threading.Timer(seconds, lambda: print(text, file=stderr, flush=True))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
