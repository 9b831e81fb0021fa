"""Shared fixtures for the command-line tests."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

# Settings a developer's shell may carry; the tests must not see them.
CLI_ENV = ("DEPIND_KEYRING_PASSPHRASE", "DEPIND_KEYRING_BACKEND", "DEPIND_NODE", "DEPIND_HOME")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env=dict.fromkeys(CLI_ENV))
