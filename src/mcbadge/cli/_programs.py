"""``mcbadge program``, ``submit``, ``assign``, ``review``, ``decide``, ``feedback``: the
micro-credential review workflow on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from mcbadge.cli import app, fail, note

program_app = typer.Typer(help="Micro-credential programs: define one, see it, see its queues.",
                          no_args_is_help=True)
app.add_typer(program_app, name="program", rich_help_panel="Programs")

IssuerDir = Annotated[Path, typer.Option(
    "--issuer", "-i", envvar="MCBADGE_ISSUER", help="The issuer workspace (env MCBADGE_ISSUER).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _programs(path: Path) -> Any:
    from mcbadge.issuing import Issuer
    from mcbadge.programs import Programs

    return Programs(Issuer.open(path))


def _smtp(host: str, port: int, sender: str, starttls: bool, user: str | None) -> Any:
    import os

    from mcbadge.delivery import SmtpSettings

    return SmtpSettings(host, port, sender, starttls, user,
                        os.environ.get("MCBADGE_SMTP_PASSWORD"))


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"{what} takes NAME=VALUE, got {item!r}")
        out[key.strip()] = value
    return out


def _show_submission(sub: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"id": sub.id, "program": sub.program_id,
                               "educator": sub.educator, "attempt": sub.attempt,
                               "state": sub.state, "problems": sub.problems,
                               "credential": sub.credential_id}, indent=2))
        return
    typer.echo(f"{sub.id}: {sub.state} (attempt {sub.attempt} of {sub.educator})")
    for problem in sub.problems:
        typer.echo(f"  - {problem}")
    if sub.credential_id:
        typer.echo(f"  credential: {sub.credential_id}")


@program_app.command("new")
def program_new(definition: Annotated[Path, typer.Argument(help="The program as JSON.")],
                issuer: IssuerDir, as_json: AsJson = False) -> None:
    """Define a program (an achievement with a rubric, sections, a policy) from JSON."""
    from mcbadge.programs import Program

    programs = _programs(issuer)
    program = programs.define(Program.from_file(definition))
    if as_json:
        typer.echo(json.dumps({"id": program.id, "criteria": len(program.criteria)}))
    else:
        typer.echo(f"defined {program.id} ({len(program.criteria)} criteria)")


@program_app.command("show")
def program_show(program_id: str, issuer: IssuerDir, as_json: AsJson = False) -> None:
    """The rubric, the submission template and the policy."""
    program = _programs(issuer).program(program_id)
    if as_json:
        typer.echo(json.dumps(program.to_json(), indent=2))
        return
    typer.echo(f"{program.achievement.get('name')} ({program.id})")
    for criterion in program.criteria:
        bar = next(lv.name for lv in criterion.levels if lv.id == criterion.required)
        typer.echo(f"  {criterion.name}: {' < '.join(lv.name for lv in criterion.levels)} "
                   f"(required: {bar})")
    for section in program.sections:
        limit = f", at most {section.max_words} words" if section.max_words else ""
        typer.echo(f"  section {section.id}: {section.title}{limit}")
    p = program.policy
    typer.echo(f"  {p.assessors} assessor(s){', blind' if p.blind else ''}, "
               f"{p.max_attempts} attempts, decided by {', '.join(p.deciders)}")


@program_app.command("status")
def program_status(program_id: str, issuer: IssuerDir, as_json: AsJson = False) -> None:
    """Counts per state and what waits on whom."""
    programs = _programs(issuer)
    counts = programs.counts(program_id)
    queues = {"pre-check or assignment": counts.get("submitted", 0),
              "review": counts.get("assigned", 0) + counts.get("in_review", 0),
              "decision": counts.get("recommended", 0),
              "educator (incomplete)": counts.get("incomplete", 0),
              "unlock": counts.get("blocked", 0)}
    if as_json:
        typer.echo(json.dumps({"states": counts, "waiting": queues}, indent=2))
        return
    for state, n in sorted(counts.items()):
        typer.echo(f"  {state:<16}{n:>6}")
    for queue, n in queues.items():
        if n:
            typer.echo(f"  waiting for {queue}: {n}")


@program_app.command("report")
def program_report(
    program_id: str, issuer: IssuerDir,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
) -> None:
    """Pass rate per criterion, attempts to award, days to decision, queues, overdue."""
    data = _programs(issuer).report(program_id)
    if fmt == "json":
        typer.echo(json.dumps(data, indent=2))
        return
    rows = [("criterion", "decided", "meeting required")] + [
        (c["name"], str(c["decided"]),
         "-" if c["meeting_required"] is None else f"{c['meeting_required']:.1%}")
        for c in data["criteria"]]
    if fmt == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows(rows)
        writer.writerow([])
        writer.writerow(["measure", "value"])
        for name, value in (("attempts to award (mean)", data["attempts_to_award"]["mean"]),
                            ("days to decision (median)", data["days_to_decision"]["median"]),
                            ("overdue", len(data["overdue"]))):
            writer.writerow([name, "" if value is None else value])
        typer.echo(buffer.getvalue(), nl=False)
        return
    if fmt != "table":
        fail("--format is table, json or csv")
    for name, decided, rate in rows:
        typer.echo(f"  {name:<30}{decided:>8}  {rate:>16}")
    typer.echo(f"  attempts to award (mean): {data['attempts_to_award']['mean']}")
    typer.echo(f"  days to decision (median): {data['days_to_decision']['median']}")
    typer.echo(f"  waiting: {data['waiting']}; overdue: {len(data['overdue'])}")


@app.command(rich_help_panel="Programs")
def submit(
    program_id: str, issuer: IssuerDir,
    educator: Annotated[str, typer.Option(help="The educator's email address or DID.")],
    answer: Annotated[list[str] | None, typer.Option(
        help="SECTION=FILE: a section's answer, read from a text file. Repeatable.")] = None,
    artifact: Annotated[list[str] | None, typer.Option(
        help="KIND=FILE (stored in the workspace by its SHA-256) or KIND=URL#sha256=HEX. "
             "Repeatable.")] = None,
    resubmission_of: Annotated[str | None, typer.Option(
        help="The previous attempt, when resubmitting after not yet earned.")] = None,
    note_text: Annotated[str | None, typer.Option(
        "--note", help="A resubmission note.")] = None,
    as_json: AsJson = False,
) -> None:
    """Submit an attempt: answers and artifacts; the completeness pre-check runs at once."""
    from mcbadge.programs import Artifact

    programs = _programs(issuer)
    answers = {}
    for section, file in _pairs(answer, "--answer").items():
        try:
            answers[section] = Path(file).read_text("utf-8")
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror or exc}")
    arts = []
    for kind, where in _pairs(artifact, "--artifact").items():
        if where.startswith("https://"):
            url, _, digest = where.partition("#sha256=")
            if len(digest) != 64:
                fail(f"--artifact {kind}=URL needs #sha256=<64 hex> (its digest)")
            arts.append(Artifact(url.rsplit("/", 1)[-1] or kind, kind, digest.lower(), url=url))
        else:
            try:
                arts.append(programs.store_artifact(where, kind))
            except OSError as exc:
                fail(f"cannot read {where}: {exc.strerror or exc}")
    sub = programs.submit(program_id, educator, answers, arts, note=note_text,
                          resubmission_of=resubmission_of)
    _show_submission(sub, as_json)


@app.command(rich_help_panel="Programs")
def assign(
    submission: str, issuer: IssuerDir,
    assessor: Annotated[list[str], typer.Option(help="An assessor's id. Repeatable.")],
    actor: Annotated[str, typer.Option(help="Who assigns (a coordinator's id).")],
    tiebreak: Annotated[bool, typer.Option(help="A tie-break assessor after a split.")] = False,
    as_json: AsJson = False,
) -> None:
    """Assign assessors to a submission."""
    sub = _programs(issuer).assign(submission, assessor, actor=actor, tiebreak=tiebreak)
    _show_submission(sub, as_json)


@app.command(rich_help_panel="Programs")
def review(
    submission: str, issuer: IssuerDir,
    assessor: Annotated[str, typer.Option(help="The assessor's id.")],
    level: Annotated[list[str], typer.Option(
        help="CRITERION=LEVEL (names or ids). One per criterion.")],
    recommend: Annotated[str, typer.Option(help="award or deny.")],
    feedback: Annotated[list[str] | None, typer.Option(
        help="CRITERION=TEXT: growth-oriented feedback (required below the bar).")] = None,
    as_json: AsJson = False,
) -> None:
    """Record an assessor's review."""
    sub = _programs(issuer).review(submission, assessor, levels=_pairs(level, "--level"),
                                   feedback=_pairs(feedback, "--feedback"),
                                   recommendation=recommend)
    _show_submission(sub, as_json)


@app.command(rich_help_panel="Programs")
def decide(
    submission: str,
    decision: Annotated[str, typer.Argument(help="grant, deny or return.")],
    issuer: IssuerDir,
    actor: Annotated[str, typer.Option(help="Who decides.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
    role: Annotated[str, typer.Option(help="The decider's role.")] = "issuer",
    claim_url: Annotated[str | None, typer.Option(
        help="Email a grant's claim link: where `mcbadge serve` answers claims (https).")
    ] = None,
    smtp_host: Annotated[str, typer.Option(help="SMTP server (with --claim-url).")] = "localhost",
    smtp_port: Annotated[int, typer.Option(help="SMTP port.")] = 587,
    sender: Annotated[str, typer.Option(help="From address.")] = "badges@localhost",
    starttls: Annotated[bool, typer.Option(help="Upgrade with STARTTLS.")] = True,
    as_json: AsJson = False,
) -> None:
    """The issuer of record's decision; a grant issues the badge (exactly once) and, with
    --claim-url, emails the educator its claim link."""
    programs = _programs(issuer)
    if claim_url is not None:
        from mcbadge.delivery import Deliveries

        programs.mail = (Deliveries(programs.issuer, base_url=claim_url),
                         _smtp(smtp_host, smtp_port, sender, starttls, None))
    sub = programs.decide(submission, decision, actor=actor, role=role, reason=reason)
    _show_submission(sub, as_json)
    if sub.credential_id and not as_json:
        note("the badge is in the ledger; `mcbadge status publish` updates the status lists")


@app.command("feedback", rich_help_panel="Programs")
def feedback_command(
    submission: str, issuer: IssuerDir,
    html: Annotated[bool, typer.Option("--html", help="HTML instead of Markdown.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """The feedback letter of a decided submission (no assessor names)."""
    letter = _programs(issuer).feedback(submission)
    text = letter["html" if html else "markdown"]
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, "utf-8")


clr_app = typer.Typer(help="The learner's record as a CLR 2.0 credential.",
                      no_args_is_help=True)
app.add_typer(clr_app, name="clr", rich_help_panel="Programs")


@clr_app.command("export")
def clr_export(
    issuer: IssuerDir,
    recipient: Annotated[str, typer.Option(help="The educator's email address or DID.")],
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Every credential the issuer gave the recipient, in one signed ClrCredential, with
    the stacks' structure as associations."""
    from mcbadge._private.files import write_atomic
    from mcbadge.issuing import Issuer

    workspace = Issuer.open(issuer)
    associations: list[dict[str, Any]] = []
    try:
        from mcbadge.stacks import Stacks

        associations = Stacks(workspace).associations()
    except ImportError:  # pragma: no cover (stacks ship with mcbadge)
        pass
    clr = workspace.clr(recipient, associations=associations)
    text = json.dumps(clr, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text.encode())
        note(f"wrote {output}: {len(clr['credentialSubject']['verifiableCredential'])} "
             "credential(s)")


stack_app = typer.Typer(help="Stacks: a stack achievement earned by holding its components.",
                        no_args_is_help=True)
app.add_typer(stack_app, name="stack", rich_help_panel="Programs")


def _stacks(path: Path) -> Any:
    from mcbadge.issuing import Issuer
    from mcbadge.stacks import Stacks

    return Stacks(Issuer.open(path))


@stack_app.command("new")
def stack_new(definition: Annotated[Path, typer.Argument(
        help="The stack as JSON: {achievement, components, rule, n, trustedIssuers}.")],
              issuer: IssuerDir, as_json: AsJson = False) -> None:
    """Define a stack."""
    from mcbadge.errors import ProgramError
    from mcbadge.stacks import Stack

    try:
        data = json.loads(definition.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ProgramError(f"cannot read {definition}: {exc}") from None
    stack = _stacks(issuer).define(Stack.from_json(data))
    if as_json:
        typer.echo(json.dumps({"id": stack.id, "components": list(stack.components),
                               "rule": stack.rule}))
    else:
        typer.echo(f"defined {stack.id}: {stack.rule} of {len(stack.components)} components")


@stack_app.command("show")
def stack_show(issuer: IssuerDir, as_json: AsJson = False) -> None:
    """Every stack and its rule."""
    stacks = _stacks(issuer).stacks()
    if as_json:
        typer.echo(json.dumps([s.to_json() for s in stacks], indent=2))
        return
    for stack in stacks:
        rule = f"{stack.n} of" if stack.rule == "n" else stack.rule
        typer.echo(f"{stack.achievement.get('name')} ({stack.id}): {rule}")
        for component in stack.components:
            typer.echo(f"  - {component}")


@stack_app.command("progress")
def stack_progress(
    issuer: IssuerDir,
    recipient: Annotated[str, typer.Option(help="The educator's email address or DID.")],
    award: Annotated[bool, typer.Option(help="Also issue every stack badge now due.")] = False,
    as_json: AsJson = False,
) -> None:
    """For an educator: each stack, the components held and missing."""
    stacks = _stacks(issuer)
    issued = stacks.award_due(recipient) if award else []
    rows = stacks.progress(recipient)
    if as_json:
        typer.echo(json.dumps({"stacks": [{"stack": p.stack, "name": p.name, "held": p.held,
                                           "missing": p.missing, "complete": p.complete,
                                           "awarded": p.awarded} for p in rows],
                               "issued": [b["id"] for b in issued]}, indent=2))
        return
    for p in rows:
        state = "awarded" if p.awarded else "complete" if p.complete else "in progress"
        typer.echo(f"{p.name}: {state} ({len(p.held)} held, {len(p.missing)} missing)")
        for component in p.missing:
            typer.echo(f"  missing {component}")


@app.command(rich_help_panel="Programs")
def deliver(
    credential: Annotated[list[str], typer.Argument(help="Credential id(s) to deliver.")],
    issuer: IssuerDir,
    base_url: Annotated[str, typer.Option(
        help="Where `mcbadge serve` answers the claim pages (https).")],
    smtp_host: Annotated[str, typer.Option(help="SMTP server.")] = "localhost",
    smtp_port: Annotated[int, typer.Option(help="SMTP port.")] = 587,
    sender: Annotated[str, typer.Option(help="From address.")] = "badges@localhost",
    starttls: Annotated[bool, typer.Option(help="Upgrade with STARTTLS.")] = True,
    smtp_user: Annotated[str | None, typer.Option(
        help="SMTP user (password from env MCBADGE_SMTP_PASSWORD).")] = None,
    days: Annotated[int, typer.Option(min=1, help="Days a claim link works.")] = 30,
    templates: Annotated[Path | None, typer.Option(
        help="A folder with claim.txt / claim.html replacing the email templates.",
        exists=True, file_okay=False)] = None,
    as_json: AsJson = False,
) -> None:
    """Email each credential's recipient a single-use claim link (logged in the ledger)."""
    from datetime import timedelta

    from mcbadge.delivery import Deliveries
    from mcbadge.issuing import Issuer

    deliveries = Deliveries(Issuer.open(issuer), base_url=base_url,
                            ttl=timedelta(days=days), templates=templates)
    settings = _smtp(smtp_host, smtp_port, sender, starttls, smtp_user)
    outcomes = {cid: deliveries.send(cid, settings) for cid in credential}
    if as_json:
        typer.echo(json.dumps(outcomes, indent=2))
    else:
        for cid, outcome in outcomes.items():
            typer.echo(f"{cid}: {outcome}")
    if any(o != "sent" for o in outcomes.values()):
        raise typer.Exit(1)
