"""The ``mcbadge`` command line: a thin layer over the public API.

Exit codes: 0 ok, 1 invalid credential, 2 bad input or usage. Errors are one line on stderr
(``--debug`` shows the traceback).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from mcbadge import __version__
from mcbadge.errors import MCBadgeError

app = typer.Typer(
    name="mcbadge",
    help="Issue and verify Open Badges 3.0 micro-credentials.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
_state = {"debug": False, "quiet": False}


def _flags_show_no_type() -> None:
    """Newer typer prints ``<bool>`` beside every flag in ``--help``; a flag takes no value,
    so show nothing there (older typer has no such column: nothing to change)."""
    from typer import core

    option = getattr(core, "TyperOption", None)
    original = getattr(option, "display_type_rich", None)
    if option is None or original is None or getattr(original, "_mcbadge", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) and self.metavar is None:
            return None
        result: str | None = original(self, ctx)
        return result

    display_type_rich._mcbadge = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


_flags_show_no_type()

_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F,
                          *range(0x80, 0xA0)])


def clean(text: object) -> str:
    """``text`` without control characters (terminal escape sequences in a badge's name must
    not reach the terminal); tabs and newlines are kept."""
    return str(text).translate(_CONTROL)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one line to stderr and exit."""
    typer.echo(f"mcbadge: error: {message}", err=True)
    raise typer.Exit(code)


def note(message: str) -> None:
    """An informational line on stderr (silenced by ``--quiet``)."""
    if not _state["quiet"]:
        typer.echo(message, err=True)


def quiet() -> bool:
    return bool(_state["quiet"])


def _version(value: bool) -> None:
    if value:
        import platform
        from importlib.metadata import PackageNotFoundError, version

        parts = []
        for name in ("pyld", "cryptography", "pydantic", "typer"):
            try:
                parts.append(f"{name} {version(name)}")
            except PackageNotFoundError:
                parts.append(f"{name} (not installed)")
        typer.echo(f"mcbadge {__version__} ({', '.join(parts)}; "
                   f"Python {platform.python_version()})")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No progress or notes on stderr; errors and data only.")] = False,
) -> None:
    _state["debug"] = debug
    _state["quiet"] = quiet


def read_json_file(path: Path | str) -> Any:
    """Read JSON from a file or ``-`` (stdin), failing with one line."""
    from mcbadge._private.jsonutil import loads_strict

    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else Path(path).read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    return loads_strict(data)


def parse_pairs(values: list[str] | None, option: str) -> dict[str, Path]:
    """``URL=PATH`` pairs given to a repeatable option, failing with one line."""
    out: dict[str, Path] = {}
    for item in values or []:
        url, sep, file = item.partition("=")
        if not sep or not url or not file:
            fail(f"{option} takes URL=PATH, got {item!r}")
        out[url] = Path(file)
    return out


def parse_contexts(values: list[str] | None) -> dict[str, Path]:
    """``URL=FILE`` pairs for ``--context``."""
    return parse_pairs(values, "--context")


# the commands register themselves on `app`, their help panels in this order
for _module in ("_demo", "_issuing", "_documents", "_verify", "_serve", "_baking", "_keys",
                "_programs"):
    importlib.import_module(f"mcbadge.cli.{_module}")


def main() -> None:
    """Entry point: run the app; turn library errors into one line and exit code 2."""
    try:
        app()
    except MCBadgeError as exc:
        if _state["debug"] or os.environ.get("MCBADGE_DEBUG"):
            raise
        typer.echo(f"mcbadge: error: {exc.message}", err=True)
        sys.exit(EXIT_USAGE)
    except OSError as exc:  # a full disk, an unreadable file: one line, never a traceback
        if _state["debug"] or os.environ.get("MCBADGE_DEBUG"):
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        typer.echo(f"mcbadge: error: {exc.strerror or exc}{where}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        typer.echo("mcbadge: interrupted (what was recorded stays recorded; a roster run "
                   "resumes when run again)", err=True)
        sys.exit(130)


