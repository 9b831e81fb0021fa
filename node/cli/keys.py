"""``depind keys``: the account keys in the home's keyring.

The file backend asks for its passphrase only when a secret is read or written
(or takes it from DEPIND_KEYRING_PASSPHRASE); listing and showing never ask.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from node.cli import views
from node.cli.common import emit, home_option, keyring_backend_option, output_option
from node.cli.keyring_access import check_name_free, open_keyring, prompt_secret
from node.keys.hd import DEFAULT_HD_PATH


def keyring_options(f: Callable[..., Any]) -> Callable[..., Any]:
    return home_option(keyring_backend_option(f))


@click.group()
def keys() -> None:
    """Manage the keys that sign transactions."""


@keys.command()
@click.argument("name")
@click.option("--recover", is_flag=True, help="Restore the key from a BIP-39 mnemonic (asked for, hidden).")
@click.option("--hd-path", default=DEFAULT_HD_PATH, show_default=True, help="BIP-32 derivation path.")
@keyring_options
@output_option
def add(name: str, recover: bool, hd_path: str, home: Path, keyring_backend: str, output: str) -> None:
    """Create a key (its mnemonic is shown once) or recover one."""
    keyring = open_keyring(home, keyring_backend, new_secret=True)
    check_name_free(keyring, name)
    mnemonic = prompt_secret("Enter your bip39 mnemonic") if recover else None
    info, phrase = keyring.add(name, mnemonic, hd_path)
    key = views.key_view(info)
    if not recover:
        key["mnemonic"] = phrase
    emit(key, output, views.new_key_text)


@keys.command(name="list")
@keyring_options
@output_option
def list_keys(home: Path, keyring_backend: str, output: str) -> None:
    """All keys, by name."""
    found = open_keyring(home, keyring_backend).list()
    emit([views.key_view(info) for info in found], output, views.keys_text)


@keys.command()
@click.argument("name_or_address")
@click.option("--address", "-a", "address_only", is_flag=True, help="Print the address alone.")
@keyring_options
@output_option
def show(name_or_address: str, address_only: bool, home: Path, keyring_backend: str, output: str) -> None:
    """One key's name, address and public key."""
    info = open_keyring(home, keyring_backend).show(name_or_address)
    if address_only:
        click.echo(info.address)
    else:
        emit(views.key_view(info), output, views.key_text)


@keys.command()
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Delete without asking.")
@keyring_options
def delete(name: str, yes: bool, home: Path, keyring_backend: str) -> None:
    """Delete a key; without its mnemonic or an export it is gone for good."""
    keyring = open_keyring(home, keyring_backend)
    info = keyring.show(name)
    if not yes:
        click.confirm(f"Delete key {name!r} ({info.address})?", abort=True, err=True)
    keyring.delete(name)
    click.echo(f"key {name!r} deleted")


@keys.command()
@click.argument("name")
@keyring_options
def export(name: str, home: Path, keyring_backend: str) -> None:
    """Print the key as ASCII armor, sealed under a new export passphrase."""
    keyring = open_keyring(home, keyring_backend)
    keyring.show(name)  # an unknown name fails before any prompt
    keyring.private_key(name)  # unlock first: a wrong keyring passphrase fails before the next prompt
    sealing = prompt_secret("Enter passphrase to encrypt the exported key", confirm=True)
    click.echo(keyring.export(name, sealing), nl=False)


@keys.command(name="import")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@keyring_options
def import_(name: str, file: Path, home: Path, keyring_backend: str) -> None:
    """Store the armored key in FILE (from `keys export`) as NAME."""
    armored = file.read_text(encoding="utf-8")
    keyring = open_keyring(home, keyring_backend, new_secret=True)
    check_name_free(keyring, name)
    opening = prompt_secret("Enter passphrase to decrypt the key")
    info = keyring.import_(name, armored, opening)
    click.echo(f"key {info.name!r} imported: {info.address}")
