"""``mcbadge achievement new``, ``validate`` and ``inspect``: writing and reading documents."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mcbadge.cli import EXIT_INVALID, EXIT_OK, app, fail, note, read_json_file

achievement_app = typer.Typer(help="Achievements: the micro-credential a badge awards.",
                              no_args_is_help=True)
app.add_typer(achievement_app, name="achievement", rich_help_panel="Issue")


def _pairs(values: list[str] | None, option: str, example: str) -> list[tuple[str, str]]:
    out = []
    for value in values or []:
        left, sep, right = value.partition("=")
        if not sep or not left.strip() or not right.strip():
            fail(f"{option} takes {example}, got {value!r}")
        out.append((left.strip(), right.strip()))
    return out


def build_achievement(
    *, name: str, description: str, criteria: str, achievement_id: str | None = None,
    levels: list[tuple[str, str]] = (), alignments: list[tuple[str, str]] = (),  # type: ignore[assignment]
    achievement_type: str | None = None, image: str | None = None,
    tags: list[str] = (), required_level: str | None = None,  # type: ignore[assignment]
) -> dict[str, Any]:
    """An Achievement as JSON: criteria, an optional rubric (one ResultDescription whose
    RubricCriterionLevels are ``levels``, ``(name, description)`` pairs in order), and
    alignments (``(target name, target URL)``)."""
    from mcbadge.models import Achievement, Alignment, Criteria, ResultDescription
    from mcbadge.models import RubricCriterionLevel as Level

    data: dict[str, Any] = {"name": name, "description": description,
                            "criteria": Criteria(narrative=criteria)}
    if achievement_id:
        data["id"] = achievement_id
    if achievement_type:
        data["achievement_type"] = achievement_type
    if image:
        data["image"] = {"id": image, "type": "Image"}
    if tags:
        data["tag"] = list(tags)
    if alignments:
        data["alignment"] = [Alignment(target_name=n, target_url=u) for n, u in alignments]
    if levels:
        rubric = [Level(name=n, description=d, points=str(i))
                  for i, (n, d) in enumerate(levels, 1)]
        wanted = next((lvl for lvl in rubric if lvl.name == required_level), None)
        if required_level and wanted is None:
            raise typer.BadParameter(f"--required-level {required_level!r} is not a --level")
        data["result_description"] = [ResultDescription(
            name=f"{name} rubric", result_type="RubricCriterionLevel",
            rubric_criterion_level=rubric, required_level=wanted.id if wanted else None)]
    return Achievement(**data).to_dict()


def _interactive() -> bool:
    return sys.stdin.isatty()


@achievement_app.command("new")
def achievement_new(
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Where to write the Achievement JSON (stdout if not given).")]
        = None,
    name: Annotated[str | None, typer.Option("--name", help="What the badge is called.")]
        = None,
    description: Annotated[str | None, typer.Option(
        "--description", help="What the earner can do.")] = None,
    criteria: Annotated[str | None, typer.Option(
        "--criteria", help="How it is earned: the evidence asked for and how it is judged.")]
        = None,
    achievement_id: Annotated[str | None, typer.Option(
        "--id", help="A stable URL or URN for it (default: a new urn:uuid).")] = None,
    level: Annotated[list[str] | None, typer.Option(
        "--level", help="A rubric level, NAME=DESCRIPTION, lowest first. Repeatable.")] = None,
    required_level: Annotated[str | None, typer.Option(
        "--required-level", help="The rubric level needed for the award.")] = None,
    alignment: Annotated[list[str] | None, typer.Option(
        "--alignment", help="A standard it aligns to, NAME=URL. Repeatable.")] = None,
    achievement_type: Annotated[str | None, typer.Option(
        "--type", help="achievementType, e.g. MicroCredential, Competency, Badge.")] = None,
    image: Annotated[str | None, typer.Option("--image", help="The badge image URL.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A keyword. Repeatable.")]
        = None,
) -> None:
    """Write an Achievement (a micro-credential definition). Asks for what is missing when
    run in a terminal; give every flag in scripts."""
    interactive = _interactive()
    missing = [flag for flag, value in (("--name", name), ("--description", description),
                                         ("--criteria", criteria)) if not value]
    if missing and not interactive:
        fail(f"give {', '.join(missing)} (or run in a terminal to be asked)")
    if not name:
        name = typer.prompt("Name (e.g. Classroom Community)")
    if not description:
        description = typer.prompt("Description (what the earner can do)")
    if not criteria:
        criteria = typer.prompt("Criteria (evidence asked for, how it is judged)")
    levels = _pairs(level, "--level", "NAME=DESCRIPTION")
    if not level and interactive and missing:
        while True:
            entry = typer.prompt("Rubric level NAME=DESCRIPTION (empty to finish)", default="",
                                 show_default=False)
            if not entry:
                break
            left, sep, right = entry.partition("=")
            if not sep or not left.strip() or not right.strip():  # ask again for this one
                typer.echo(f"  a rubric level is NAME=DESCRIPTION, got {entry!r}; again:",
                           err=True)
                continue
            levels.append((left.strip(), right.strip()))
        names = [n for n, _ in levels]
        if levels and not required_level:
            required_level = typer.prompt(
                f"Required level for the award ({', '.join(names)}; empty for none)",
                default="", show_default=False) or None
        while required_level and required_level not in names:
            typer.echo(f"  {required_level!r} is not one of the levels ({', '.join(names)});"
                       " again:", err=True)
            required_level = typer.prompt("Required level (empty for none)", default="",
                                          show_default=False) or None
    try:
        data = build_achievement(
            name=name, description=description, criteria=criteria,
            achievement_id=achievement_id, levels=levels,
            alignments=_pairs(alignment, "--alignment", "NAME=URL"),
            achievement_type=achievement_type, image=image, tags=tag or [],
            required_level=required_level,
        )
    except typer.BadParameter as exc:
        fail(str(exc.message))
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, "utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    note(f"wrote {output}: {data['name']} ({data['id']})")


_KINDS = ("OpenBadgeCredential", "AchievementCredential", "EndorsementCredential",
          "ClrCredential", "Achievement", "Profile")


@app.command(rich_help_panel="Check")
def validate(
    document: Annotated[Path, typer.Argument(
        help="An unsigned (or signed) credential, Achievement or Profile JSON file; - for "
             "stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the problems as JSON.")]
        = False,
) -> None:
    """Check a document against the official 1EdTech JSON Schema and the data model (no
    signature, no network): exit 0 conforms, 1 does not, 2 unreadable."""
    from mcbadge.errors import ModelValidationError
    from mcbadge.models import Achievement, Profile, parse_credential, validate_schema
    from mcbadge.models.schema import OB_PROFILE

    data = read_json_file(document)
    if not isinstance(data, dict):
        fail(f"{document} does not hold a JSON object")
    types = data.get("type")
    types = types if isinstance(types, list) else [types]
    kind = next((t for t in _KINDS if t in types), None)
    if kind is None:
        fail(f"{document}: type {data.get('type')!r} is not one of {', '.join(_KINDS)}")
    problems: list[dict[str, str]] = []
    try:
        if kind == "Achievement":
            Achievement.from_dict(data)
        elif kind == "Profile":
            Profile.from_dict(data)
            problems += [{"pointer": e.pointer, "message": e.message}
                         for e in validate_schema({"@context": [], **data}, OB_PROFILE)
                         if e.pointer != "/@context"]
        else:
            parse_credential(data)
    except ModelValidationError as exc:
        problems += [{"pointer": e.pointer, "message": e.message} for e in exc.errors] or [
            {"pointer": "", "message": exc.message}]
    if kind not in ("Achievement", "Profile"):
        problems += [{"pointer": e.pointer, "message": e.message} for e in validate_schema(data)]
    unique = list({(p["pointer"], p["message"]): p for p in problems}.values())
    if as_json:
        typer.echo(json.dumps({"valid": not unique, "type": kind, "problems": unique},
                              indent=2))
    elif not unique:
        typer.echo(f"{document}: a valid {kind}")
    else:
        typer.echo(f"{document}: {len(unique)} problem(s) in this {kind}")
        for problem in unique:
            typer.echo(f"  {problem['pointer'] or '/'}: {problem['message']}")
    raise typer.Exit(EXIT_OK if not unique else EXIT_INVALID)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def describe(doc: dict[str, Any]) -> dict[str, Any]:
    """What a person wants to see of a badge, as plain JSON."""
    issuer = doc.get("issuer")
    subject = doc.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, dict) else {}
    image = doc.get("image") or achievement.get("image")
    recipient: list[str] = []
    if _text(subject.get("id")):
        recipient.append(subject["id"])
    for ident in subject.get("identifier") or []:
        if isinstance(ident, dict):
            kind = ident.get("identityType", "?")
            shown = "(hashed)" if ident.get("hashed") else ident.get("identityHash")
            recipient.append(f"{kind}: {shown}")
    evidence = []
    for item in doc.get("evidence") or []:
        if isinstance(item, dict):
            evidence.append({k: item[k] for k in ("name", "id", "genre", "narrative")
                             if _text(item.get(k))})
    results = []
    for item in subject.get("result") or []:
        if isinstance(item, dict):
            results.append({k: item[k] for k in ("value", "achievedLevel", "status",
                                                 "resultDescription") if _text(item.get(k))})
    statuses = doc.get("credentialStatus")
    statuses = statuses if isinstance(statuses, list) else [statuses] if statuses else []
    proofs = doc.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs] if proofs else []
    return {
        "name": _text(doc.get("name")) or _text(achievement.get("name")),
        "id": doc.get("id"),
        "type": doc.get("type"),
        "image": image.get("id") if isinstance(image, dict) else image,
        "issuer": {"id": issuer.get("id"), "name": issuer.get("name")}
        if isinstance(issuer, dict) else {"id": issuer},
        "recipient": recipient,
        "achievement": {k: achievement.get(k) for k in ("id", "name", "achievementType")
                        if achievement.get(k)}
        | ({"criteria": achievement["criteria"].get("narrative")}
           if isinstance(achievement.get("criteria"), dict)
           and achievement["criteria"].get("narrative") else {}),
        "validFrom": doc.get("validFrom") or doc.get("issuanceDate"),
        "validUntil": doc.get("validUntil") or doc.get("expirationDate"),
        "evidence": evidence,
        "results": results,
        "status": [{"purpose": s.get("statusPurpose"), "list": s.get("statusListCredential"),
                    "index": s.get("statusListIndex"), "type": s.get("type")}
                   for s in statuses if isinstance(s, dict)],
        "proofs": [p.get("cryptosuite") or p.get("type") for p in proofs
                   if isinstance(p, dict)],
    }


@app.command(rich_help_panel="Check")
def inspect(
    source: Annotated[str, typer.Argument(
        help="A badge: JSON, JWT, baked PNG or SVG file, or - for stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the view as JSON.")] = False,
) -> None:
    """Show what a badge says (name, image, issuer, recipient, dates, evidence, results,
    status). Nothing is checked: use `mcbadge verify` for that."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from mcbadge.cli import clean
    from mcbadge.errors import MCBadgeError
    from mcbadge.verification._source import read_source

    if source == "-":
        data: Any = sys.stdin.buffer.read()
    else:
        path = Path(source)
        if not path.is_file():
            fail(f"cannot read {source}: no such file")
        data = path
    try:
        parsed = read_source(data)
    except MCBadgeError as exc:
        fail(f"cannot read {source}: {exc.message}")
    view = describe(parsed.document)
    view["format"] = parsed.format
    if as_json:
        typer.echo(json.dumps(view, indent=2, ensure_ascii=False))
        return
    console = Console(highlight=False, emoji=False)
    console.print(Text(clean(view["name"] or "(no name)"), style="bold")
                  + Text(f"  ({parsed.format}, not verified)"))
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    issuer = view["issuer"]
    rows: list[tuple[str, Any]] = [
        ("id", view["id"]), ("issuer", f"{issuer.get('name') or ''} <{issuer.get('id')}>"),
        ("recipient", "; ".join(view["recipient"])), ("image", view["image"]),
        ("achievement", view["achievement"].get("name")),
        ("criteria", view["achievement"].get("criteria")),
        ("valid from", view["validFrom"]), ("valid until", view["validUntil"] or "(no end)"),
    ]
    rows += [(f"evidence {i}", " | ".join(e.values())) for i, e in enumerate(view["evidence"], 1)]
    rows += [(f"result {i}", " | ".join(r.values())) for i, r in enumerate(view["results"], 1)]
    rows += [(f"status ({s['purpose']})", f"{s['list']} #{s['index']}") for s in view["status"]]
    rows.append(("proofs", ", ".join(view["proofs"]) or "(none)"))
    for label, value in rows:
        if value:
            table.add_row(Text(label), Text(clean(value)))
    console.print(table)
