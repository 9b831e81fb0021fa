"""What every command shares: --home, --node, --output, and one-line errors."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from genesis.doc import GenesisError
from node.client import DEFAULT_NODE, ClientError
from node.config import ConfigError
from node.home import DEFAULT_HOME, HomeError
from node.keys.keyring import BACKENDS, KeyringError
from vm.errors import InvalidTx

F = TypeVar("F", bound=Callable[..., Any])

# Failures a user can cause and fix; anything else is a bug and keeps its traceback in tests.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (
    ClientError,
    ConfigError,
    GenesisError,
    HomeError,
    InvalidTx,
    KeyringError,
    OSError,
)


class CLIError(click.ClickException):
    """A user-facing failure: printed as one line, exit code 1."""


def flatten(text: str) -> str:
    """One line: a multi-line message would read as several errors."""
    return " ".join(text.split())


def one_line(exc: BaseException) -> str:
    return flatten(str(exc)) or type(exc).__name__


def first_failure(group: BaseExceptionGroup) -> BaseException:
    """The first exception in a (nested) group that is not a cancellation: what went wrong."""
    import trio  # only `depind start` runs trio; other commands need not import it

    for exc in group.exceptions:
        found = first_failure(exc) if isinstance(exc, BaseExceptionGroup) else exc
        if not isinstance(found, trio.Cancelled | BaseExceptionGroup):
            return found
    return group


class DepindGroup(click.Group):
    """The root group: expected failures from any subcommand become one-line CLIErrors."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EXPECTED_ERRORS as exc:
            raise CLIError(one_line(exc)) from None


def home_option(f: F) -> F:
    return click.option(
        "--home",
        type=click.Path(path_type=Path, file_okay=False),
        default=DEFAULT_HOME,
        show_default=True,
        help="Node home folder.",
    )(f)


def node_option(f: F) -> F:
    return click.option(
        "--node",
        default=DEFAULT_NODE,
        show_default=True,
        envvar="DEPIND_NODE",
        help="JSON-RPC address of the node (http://host:port or tcp://host:port).",
    )(f)


def output_option(f: F) -> F:
    return click.option(
        "--output",
        "-o",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Output format.",
    )(f)


def keyring_backend_option(f: F) -> F:
    return click.option(
        "--keyring-backend",
        type=click.Choice(BACKENDS),
        default="file",
        show_default=True,
        envvar="DEPIND_KEYRING_BACKEND",
        help="'file' seals keys under a passphrase; 'test' stores them in clear (dev and CI only).",
    )(f)


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """Turn every failure into ``Error: <one line>`` and exit 1; never a traceback."""
    try:
        yield
    except click.exceptions.Exit:
        raise
    except (click.ClickException, click.Abort):
        raise
    except Exception as exc:  # the last line of defence for a user-facing tool
        click.echo(f"Error: {one_line(exc)}", err=True)
        sys.exit(1)


def emit(data: Any, output: str, text: Callable[[Any], str] | None = None) -> None:
    if output == "json" or text is None:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(text(data))
