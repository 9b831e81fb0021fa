"""Opening the keyring from the command line: passphrases from a prompt or the environment."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

import click

from node.cli.params import is_address
from node.keys.keyring import Keyring, KeyringError

PASSPHRASE_ENV = "DEPIND_KEYRING_PASSPHRASE"


def open_keyring(home: Path, backend: str, new_secret: bool = False) -> Keyring:
    """A keyring that asks for the file backend's passphrase only once a secret is touched,
    so listing or showing keys never prompts. ``new_secret`` asks twice, to catch typos."""
    return Keyring(home, backend=backend, passphrase=_passphrase_source(new_secret))


def _passphrase_source(new_secret: bool) -> Callable[[], str]:
    @functools.cache
    def passphrase() -> str:
        from_env = os.environ.get(PASSPHRASE_ENV)
        if from_env:
            return from_env
        return str(
            click.prompt(
                "Enter keyring passphrase",
                hide_input=True,
                confirmation_prompt="Re-enter keyring passphrase" if new_secret else False,
                err=True,
            )
        )

    return passphrase


def prompt_secret(text: str, confirm: bool = False) -> str:
    return str(click.prompt(text, hide_input=True, confirmation_prompt=confirm, err=True))


def resolve_address(name_or_address: str, keyring: Keyring) -> str:
    """An address as given, or the address of the named key."""
    if is_address(name_or_address):
        return name_or_address
    try:
        return keyring.show(name_or_address).address
    except KeyringError:
        raise KeyringError(
            f"{name_or_address!r} is neither an address nor a key in the "
            f"{keyring.backend} keyring at {keyring.folder}"
        ) from None
