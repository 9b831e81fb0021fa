"""What every command shares: --home, --node, --output, and one-line errors."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from node.home import DEFAULT_HOME

F = TypeVar("F", bound=Callable[..., Any])


class CLIError(click.ClickException):
    """A user-facing failure: printed as one line, exit code 1."""


def home_option(f: F) -> F:
    return click.option(
        "--home",
        type=click.Path(path_type=Path),
        default=DEFAULT_HOME,
        show_default=True,
        help="Node home folder.",
    )(f)


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """Turn every expected failure into ``Error: <one line>`` and exit 1; never a traceback."""
    try:
        yield
    except click.exceptions.Exit:
        raise
    except (click.ClickException, click.Abort):
        raise
    except Exception as exc:  # the last line of defence for a user-facing tool
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        click.echo(f"Error: {message}", err=True)
        sys.exit(1)


def emit(data: Any, output: str, text: Callable[[Any], str] | None = None) -> None:
    if output == "json" or text is None:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(text(data))
