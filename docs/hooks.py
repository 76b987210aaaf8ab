"""mkdocs hook: write the command-line reference from the typer app before each build."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer


def _command_doc(command: Any, name: str, out: list[str]) -> None:
    ctx = command.context_class(command, info_name=name)
    level = "#" * min(name.count(" ") + 1, 4)
    out.append(f"#{level} `{name}`\n")
    if command.help:
        out.append(command.help.strip() + "\n")
    usage = command.get_usage(ctx).replace("Usage: ", "")
    out.append(f"```\n{usage}\n```\n")
    rows = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            if param.param_type_name == "argument":
                rows.append((f"`{param.human_readable_name}`", "argument"))
            continue
        names, help_text = record
        rows.append((f"`{names}`", help_text.replace("|", "\\|").replace("\n", " ")))
    if rows:
        out.append("| option | |\n| --- | --- |")
        out.extend(f"| {a} | {b} |" for a, b in rows)
        out.append("")
    if hasattr(command, "commands"):
        for sub_name, sub in sorted(command.commands.items()):
            if not getattr(sub, "hidden", False):
                _command_doc(sub, f"{name} {sub_name}", out)


def cli_reference() -> str:
    from mcbadge.cli import app

    command = typer.main.get_command(app)
    out = ["# Command line\n",
           "Generated from the `mcbadge` app. Exit codes: 0 ok or valid, 1 invalid "
           "credential (or rows not issued), 2 bad input or usage. Errors are one line on "
           "stderr; `--debug` shows a traceback.\n"]
    _command_doc(command, "mcbadge", out)
    return "\n".join(out) + "\n"


def on_pre_build(config: Any, **_: Any) -> None:
    target = Path(config["docs_dir"]) / "reference" / "cli.md"
    text = cli_reference()
    if not target.exists() or target.read_text("utf-8") != text:
        target.write_text(text, "utf-8")


_ROLE = re.compile(r":(?:func|class|meth|mod|data|attr|exc):(<code>)~?")


def on_page_content(html: str, **_: Any) -> str:
    """Docstrings use Sphinx roles (:func:`name`); show them as plain code."""
    return _ROLE.sub(r"\1", html)
