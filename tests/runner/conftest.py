"""What the runner's tests of separate hosts need: network namespaces, with iproute2 and
iptables (installed with apt when missing and the tests run as root)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.runner import hosts

INSTALL_TIMEOUT_S = 600
PACKAGES = ("iproute2", "iptables")


@pytest.fixture(scope="session")
def namespaces() -> None:
    """Skip, saying why, where network namespaces cannot be made."""
    if os.geteuid() == 0 and any(shutil.which(tool) is None for tool in hosts.TOOLS):
        subprocess.run(["apt-get", "update", "-qq"], check=True, timeout=INSTALL_TIMEOUT_S)
        install = ["apt-get", "install", "-y", "-qq", *PACKAGES]
        subprocess.run(
            install,
            check=True,
            timeout=INSTALL_TIMEOUT_S,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    reason = hosts.unavailable()
    if reason is not None:
        pytest.skip(f"no separate hosts here: {reason}")
