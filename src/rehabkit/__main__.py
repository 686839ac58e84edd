"""``python -m rehabkit``: the same as the ``rehabkit`` command."""

from rehabkit.cli import run

if __name__ == "__main__":
    run(prog_name="rehabkit")
