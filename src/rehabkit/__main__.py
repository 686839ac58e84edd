"""``python -m rehabkit``: the same as the ``rehabkit`` command."""

from rehabkit.cli import main

if __name__ == "__main__":
    main(prog_name="rehabkit")
