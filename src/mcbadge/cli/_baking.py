"""``mcbadge bake`` and ``mcbadge unbake``: credentials in PNG and SVG images."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mcbadge._private.files import write_atomic
from mcbadge.cli import app, fail, note


def _read(path: Path) -> bytes:
    try:
        return sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")


@app.command(rich_help_panel="Images")
def bake(
    image: Annotated[Path, typer.Argument(help="The PNG or SVG badge image.")],
    credential: Annotated[Path, typer.Argument(
        help="The signed credential: a JSON file or a compact JWT file (- for stdin).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the image.")],
) -> None:
    """Bake a credential into a PNG or SVG (replacing any it already carries)."""
    from mcbadge.baking import bake as bake_image

    baked = bake_image(_read(image), _read(credential))
    try:
        write_atomic(output, baked)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    note(f"baked into {output}")


@app.command(rich_help_panel="Images")
def unbake(
    image: Annotated[Path, typer.Argument(help="A baked PNG or SVG (- for stdin).")],
) -> None:
    """Print the credential baked into an image (an OB 2.0 image is named as such)."""
    from mcbadge.baking import unbake as unbake_image

    found = unbake_image(_read(image))
    if found.version != "3.0":
        typer.echo(f"mcbadge: note: an Open Badges {found.version} image", err=True)
    typer.echo(found.text)
