"""The ``socialcare`` command: ``demo``, ``monitor``, ``links`` and ``webhook serve``.

``main(argv)`` runs a command and returns its exit code (see :data:`EXIT_CODES`);
the console script ``socialcare`` and ``python -m socialcare`` call it. The demo's
parts are public too: :func:`run_demo` (the care bot on the sandbox, returning a
:class:`DemoReport`), :func:`synthetic_conversations` (its data) and
:func:`load_config` (``care.toml``).
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.cli._config import CareConfig, SearchConfig, load_config, parse_config
from socialcare.cli._data import Scenario, ScenarioKind, synthetic_conversations
from socialcare.cli._demo import DemoReport, run_demo
from socialcare.cli._errors import EXIT_CODES
from socialcare.cli._main import console_script, main

__all__ = [
    "EXIT_CODES",
    "CareConfig",
    "DemoReport",
    "Scenario",
    "ScenarioKind",
    "SearchConfig",
    "console_script",
    "load_config",
    "main",
    "parse_config",
    "run_demo",
    "synthetic_conversations",
]

publish(__name__, globals(), __all__)
