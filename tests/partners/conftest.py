"""Fixtures the partner tests share."""

from tests.cli.test_cli import env  # noqa: F401 (a fixture: a clean environment for the command line)
