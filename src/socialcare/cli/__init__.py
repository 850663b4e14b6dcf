"""The ``socialcare`` command: ``demo``, ``monitor``, ``links`` and ``webhook serve``.

``main(argv)`` runs a command and returns its exit code (see :data:`EXIT_CODES`);
the console script ``socialcare`` and ``python -m socialcare`` call it.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.cli._data import Scenario, synthetic_conversations
from socialcare.cli._demo import DemoReport, run_demo

__all__ = ["DemoReport", "Scenario", "run_demo", "synthetic_conversations"]

publish(__name__, globals(), __all__)
