"""Opening the keyring from the command line: passphrases from a prompt or the environment."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

import click

from node.cli.common import CLIError
from node.cli.params import is_address
from node.keys.keyring import BACKENDS, KeyInfo, Keyring, KeyringError
from vm import crypto

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


def check_name_free(keyring: Keyring, name: str) -> None:
    """Fail before prompting for a mnemonic or passphrase that could not be used."""
    if any(info.name == name for info in keyring.list()):
        raise KeyringError(f"key {name!r} already exists")


def find_key(keyring: Keyring, name_or_address: str) -> KeyInfo:
    """The key, or an error that says where it was looked for and where it is instead."""
    try:
        return keyring.show(name_or_address)
    except KeyringError as exc:
        where = f"{exc} in the {keyring.backend} keyring at {keyring.folder}"
        raise KeyringError(where + _elsewhere(keyring, name_or_address)) from None


def _elsewhere(keyring: Keyring, name_or_address: str) -> str:
    # The dev key lives in the test backend while the default is file: a common slip.
    for backend in BACKENDS:
        if backend != keyring.backend:
            try:
                Keyring(keyring.folder.parent, backend).show(name_or_address)
            except KeyringError:
                continue
            return f"; it is in the {backend} keyring: add --keyring-backend {backend}"
    return ""


def resolve_address(name_or_address: str, keyring: Keyring) -> str:
    """An address as given, or the address of the named key."""
    if is_address(name_or_address):
        return name_or_address
    if name_or_address.startswith(f"{crypto.ACCOUNT_HRP}1"):
        try:  # meant as an address: say what is wrong with it rather than "key not found"
            crypto.decode_address(name_or_address)
        except crypto.InvalidAddress as exc:
            raise CLIError(str(exc)) from None
    return find_key(keyring, name_or_address).address
