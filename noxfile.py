"""Developer tasks: ``nox -s lint typecheck tests docs``; ``nox -l`` lists them all."""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "typecheck", "tests", "docs", "examples"]
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
ROOT = Path(__file__).parent


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the tests with branch coverage; PostgreSQL tests need SOCIALCARE_TEST_POSTGRES_DSN."""
    session.install("-e", ".[tests,postgres,sentiment]")
    session.run("python", "-m", "pytest", "--cov=socialcare", "--cov-branch", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, and the import layering (import-linter)."""
    session.install("-e", ".", "ruff", "import-linter")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package, the typing tests, the examples and this file."""
    session.install("-e", ".[dev]")
    session.run("mypy", "src", "tests/typing", "examples", "noxfile.py")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Build the documentation strictly (broken references fail the build)."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(ROOT / "site"))


@nox.session(python="3.11")
def examples(session: nox.Session) -> None:
    """Run every example offline (each must exit 0), then README's "Try it" and the docs' code.

    ``care_bot_postgres.py`` runs on ``SOCIALCARE_TEST_POSTGRES_DSN``; without it the
    session fails under CI and elsewhere accepts the example's "not configured" exit (78).
    """
    session.install("-e", ".[dev]")
    dsn = os.environ.get("SOCIALCARE_TEST_POSTGRES_DSN", "")
    for example in sorted((ROOT / "examples").glob("*.py")):
        env = {"SOCIALCARE_OFFLINE": "1"}  # the PostgreSQL example reads the DSN itself
        lenient = example.name == "care_bot_postgres.py" and not dsn and not os.environ.get("CI")
        session.run("python", str(example), env=env, success_codes=[0, 78] if lenient else [0])
    session.run(
        "python", "-m", "pytest", "-q", "tests/test_readme.py", "tests/test_docs_examples.py"
    )


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Run every benchmark in benchmarks/ (numbers go to docs/performance.md)."""
    session.install("-e", ".[dev]")
    session.install("networkx")  # thread_bench.py's peer (benchmark-only)
    env = {"SOCIALCARE_TEST_POSTGRES_DSN": os.environ.get("SOCIALCARE_TEST_POSTGRES_DSN", "")}
    for bench_file in sorted((ROOT / "benchmarks").glob("*_bench.py")):
        session.run("python", str(bench_file), *session.posargs, env=env)
