"""``python -m socialcare``: the ``socialcare`` command (see :mod:`socialcare.cli`)."""

from __future__ import annotations

from socialcare.cli import console_script

if __name__ == "__main__":
    console_script()
