"""A time budget for a plugin pack's code, and Ctrl-C told apart from a ``KeyboardInterrupt`` a pack raised.

A pack's hook, lint rule, progression policy or renderer runs inside :func:`watched` (a renderer without a
budget). There, on the main thread of a POSIX system (where ``SIGALRM`` exists):

* the code gets ``REHABKIT_PACK_TIMEOUT`` seconds (:data:`DEFAULT_SECONDS` by default; ``0`` or ``off``: no
  budget). When they run out, :class:`PackTimedOut` is raised inside the pack's code, wherever Python can
  interrupt it (between bytecodes, in ``time.sleep``, in a blocking read): its caller sets the code aside, named,
  as it does code that raised. Code stuck inside a C call that does not return to Python (a C extension's loop)
  is not interrupted; Ctrl-C then still names the pack.
* a ``SIGINT`` (the user's Ctrl-C) is recorded as it arrives, so that :attr:`Watch.interrupted` says whether a
  ``KeyboardInterrupt`` is the user's or one the pack raised itself (which is the pack failing, not the user).

Elsewhere (Windows, or a thread other than the main one, as in a web server's workers) there is no budget, and a
``KeyboardInterrupt`` is taken to be the user's, as Python itself does. Nor is there a budget while someone else
uses ``SIGALRM`` (a handler of their own, or a timer running: pytest-timeout in a pack's own tests).

A pack's import is not interrupted (a module half imported cannot be used or unloaded safely): :class:`StillRunning`
says which pack is still loading once the budget has passed, and how to block it.

The handlers, once installed, stay: Python's own Ctrl-C handler is replaced by one that behaves as it does and
also records the signal.

Only the standard library is used: this module sits at the bottom layer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping

__all__ = [
    "DEFAULT_SECONDS",
    "ENVIRONMENT_VARIABLE",
    "PackTimedOut",
    "StillRunning",
    "Watch",
    "budget_seconds",
    "paused",
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
    if text.lower() in ("off", "no", "false", "none"):
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if seconds == 0:
        return None
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

#: The C function: signal.getsignal turns its answer into an enum (5 us, more than the rest of a watch); the
#: handlers compared with it are functions, which both give back as they are.
_getsignal: Callable[[int], object] = getattr(sys.modules.get("_signal"), "getsignal", signal.getsignal)


def _signals_usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _record_sigint(signum: int, frame: object) -> None:
    """Python's own Ctrl-C handler, which also records the signal in every watch running."""
    for each in _active:
        each.interrupted = True
    raise KeyboardInterrupt


def _on_alarm(signum: int, frame: object) -> None:
    """Stop the pack's code whose budget ran out (nothing, once it has ended)."""
    timed = [watch for watch in _active if watch.seconds is not None and not watch.done]
    if timed:
        raise PackTimedOut(timed[-1].seconds or 0.0)


def _sigint_recorded() -> bool:
    """Put :func:`_record_sigint` in place of Python's own handler (once: it stays, and behaves as Python's does);
    True when a Ctrl-C is recorded, or cannot reach Python (SIGINT ignored, or left to the system, which ends the
    process), so that any KeyboardInterrupt is the pack's; False under a handler of someone else's."""
    current = _getsignal(signal.SIGINT)
    if current is signal.default_int_handler:
        signal.signal(signal.SIGINT, _record_sigint)
        return True
    return current is _record_sigint or not callable(current)


def _alarm_free() -> bool:
    """Install :func:`_on_alarm` for SIGALRM unless someone else uses it (a handler of their own, or a timer running:
    pytest-timeout in a pack's tests, say), whose alarm a budget would cancel; True when the budget can be used."""
    current = _getsignal(signal.SIGALRM)
    if current is _on_alarm:
        return True
    if callable(current) or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        return False
    signal.signal(signal.SIGALRM, _on_alarm)
    return True


@contextlib.contextmanager
def watched(*, budget: bool = True, seconds: float | None = None) -> Iterator[Watch]:
    """Run a pack's code under a watch: with ``budget``, ``seconds`` (default: :func:`budget_seconds`) to run,
    after which :class:`PackTimedOut` is raised inside it; always, a record of a SIGINT that arrives.

    Nested in a watch with a budget, the outer watch goes on (its budget covers the inner code). Where signals
    cannot be used (see the module's documentation) nothing is installed and any KeyboardInterrupt is the user's
    (:meth:`Watch.by_the_user`). The handlers are installed once and stay (a pack's code may run thousands of
    times in a command: a rule for each protocol); each watch only sets and clears the timer."""
    outer = _active[-1] if _active else None
    if outer is not None and (outer.seconds is not None or not budget):
        yield outer  # the outer watch's budget covers the inner code
        return
    if not _signals_usable():
        yield Watch(None, watching=False)
        return
    if budget and seconds is None:
        seconds = _budget_or_default()
    watch = Watch(seconds if budget and _alarm_free() else None, watching=_sigint_recorded())
    if watch.seconds is not None:
        signal.setitimer(signal.ITIMER_REAL, watch.seconds)
    _active.append(watch)
    try:
        yield watch
    finally:
        watch.done = True
        if watch.seconds is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
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


class StillRunning:
    """Writes a line to standard error when one step of a series (each pack's import) has run longer than the
    budget: which one, and what to do. One timer thread for the whole series, so that a step costs an assignment
    (200 packs' imports would otherwise start 200 threads); it works on any thread and system. No notice when
    there is no budget. Use it as a context manager, calling :meth:`step` as each step starts and ends."""

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = _budget_or_default() if seconds is None else seconds
        self._current: tuple[str, float] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> StillRunning:
        if self.seconds is not None:
            self._thread = threading.Thread(target=self._watch, name="rehabkit-still-running", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._current = None
        self._stop.set()
        if self._thread is not None:  # gone before anything else runs: no signal can land on it afterwards
            self._thread.join()

    def step(self, message: str | None) -> None:
        """A step starts (``message``: what to say if it runs too long, ``{seconds}`` replaced by their number), or
        the steps have ended (None)."""
        import time

        self._current = None if message is None else (message, time.monotonic())

    def _watch(self) -> None:
        import time

        assert self.seconds is not None
        if hasattr(signal, "pthread_sigmask"):  # Ctrl-C and the budget's alarm go to the main thread, never here
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGALRM})
        told = None
        while not self._stop.wait(min(self.seconds / 4, 0.25)):
            current = self._current
            if current is not None and current is not told and time.monotonic() - current[1] >= self.seconds:
                told = current
                stderr = sys.__stderr__ or sys.stderr
                print(current[0].replace("{seconds}", f"{self.seconds:g}"), file=stderr, flush=True)
