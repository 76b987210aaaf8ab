"""``mcbadge demo``: the main job end to end, on the embedded default store.

An issuer is created; a micro-credential like the ones educators earn is defined (a rubric of
criterion levels, an alignment to a standard, the evidence asked for); it is bulk-issued to a
sample roster of 25 educators with their evidence and rubric results; one badge is baked into
a PNG and verified; another is revoked, the status list published again, and that badge
verified again and shown revoked. Nothing touches the network.
"""

from __future__ import annotations

import json
import struct
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Annotated, Any

import typer

from mcbadge.cli import app, fail

SITE = "https://pd.district.example"

EDUCATORS = [
    "Maria Lopez", "Ken Ito", "Aisha Bello", "Tom Novak", "Priya Shah", "Lena Fischer",
    "Samuel Okafor", "Grace Kim", "Diego Ramos", "Hannah Cohen", "Yusuf Demir", "Chloe Martin",
    "Oliver Smith", "Amara Nwosu", "Lucas Silva", "Mei Chen", "Noah Brown", "Fatima Zahra",
    "Ethan Walker", "Sofia Rossi", "Jonas Berg", "Isabel Cruz", "Kwame Mensah", "Ava Murphy",
    "Ravi Kumar",
]
LEVELS = [
    ("Emerging", "Community agreements exist; students follow them when reminded."),
    ("Proficient", "Students co-create the agreements and hold one another to them."),
    ("Exemplary", "Students lead repair conversations and welcome newcomers unprompted."),
]


def micro_credential() -> dict[str, Any]:
    """The demo's Achievement: a competency-based award with a rubric and an alignment."""
    from mcbadge.cli._documents import build_achievement

    return build_achievement(
        name="Culturally Responsive Teaching: Classroom Community",
        description="The educator builds a classroom community where every student belongs: "
                    "shared agreements, restorative responses, and student voice.",
        criteria="Submit a lesson video (10-15 minutes), a written reflection and three "
                 "samples of student work. Two assessors score the submission against the "
                 "rubric and recommend award at Proficient or above, or return it with "
                 "feedback for resubmission; the district's PD office decides.",
        achievement_id=f"{SITE}/achievements/crt-classroom-community",
        achievement_type="MicroCredential",
        levels=LEVELS,
        required_level="Proficient",
        alignments=[("InTASC Standard 3: Learning Environments",
                     "https://ccsso.org/resource-library/intasc-model-core-teaching-standards")],
        tags=["culturally responsive teaching", "classroom community"],
    )


def roster_rows(achievement: dict[str, Any]) -> list[dict[str, Any]]:
    """25 educators, each with a lesson video, a reflection and student work, and the rubric
    level the assessors recommended."""
    rubric = achievement["resultDescription"][0]
    levels = rubric["rubricCriterionLevel"]
    rows = []
    for i, name in enumerate(EDUCATORS):
        slug = name.lower().replace(" ", ".")
        level = levels[2] if i % 3 == 0 else levels[1]
        rows.append({
            "name": name,
            "email": f"{slug}@district.example",
            "key": f"staff-{1040 + i}",
            "evidence": [
                {"id": f"https://evidence.district.example/{slug}/lesson-video",
                 "name": "Lesson video", "genre": "Video"},
                {"name": "Reflection", "genre": "Reflection",
                 "narrative": "How our morning circle changed who speaks in class."},
                {"id": f"https://evidence.district.example/{slug}/student-work",
                 "name": "Student work samples", "genre": "Student work"},
            ],
            "result": {"resultDescription": rubric["id"], "achievedLevel": level["id"],
                       "status": "Completed"},
        })
    return rows


def badge_art() -> bytes:
    """A small PNG to bake into (a teal disc on white), made here so the demo needs no file."""
    size = 96
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            inside = (x - 47.5) ** 2 + (y - 47.5) ** 2 < 44**2
            row += bytes((0, 128, 128) if inside else (255, 255, 255))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


@app.command(rich_help_panel="Try it")
def demo(
    directory: Annotated[Path | None, typer.Argument(
        help="Where to put the issuer and its files (default: a new temporary folder); "
             "`program DIR` runs the review-workflow demo in DIR instead.")]
        = None,
    program_dir: Annotated[Path | None, typer.Argument(
        help="With `program`: the folder for the workflow demo.", show_default=False)]
        = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", min=1, help="Signing processes (default: all cores).")] = None,
    serve: Annotated[bool, typer.Option(
        "--serve", help="Then serve the badges on loopback (their pages public, the "
                        "verifier page), printing the URLs, until Ctrl-C.")] = False,
    port: Annotated[int, typer.Option(help="With --serve: the loopback port.")] = 8080,
) -> None:
    """Run the main job end to end: issuer, micro-credential, roster of 25, bake, verify,
    revoke, publish, verify again. Offline; prints where every file is.
    `mcbadge demo program DIR`: 25 educators through the review workflow instead."""
    if directory is not None and str(directory) == "program":
        _program_demo(program_dir)
        return
    if program_dir is not None:
        fail("one folder: mcbadge demo [DIR], or mcbadge demo program DIR")
    from rich.console import Console

    from mcbadge.baking import bake
    from mcbadge.cli._verify import _print_table
    from mcbadge.issuing import Issuer
    from mcbadge.verification import verify

    console = Console(highlight=False, emoji=False)
    root = Path(directory) if directory is not None else Path(tempfile.mkdtemp(
        prefix="mcbadge-demo-"))
    root.mkdir(parents=True, exist_ok=True)

    def step(text: str) -> None:
        console.print(f"\n[bold cyan]== {text}[/]")

    step("1. Create an issuer (did:key, signing key 0600, SQLite ledger)")
    issuer = Issuer.create(root / "issuer", name="Example District Professional Learning",
                           url=SITE, description="Micro-credentials for district educators.")
    console.print(f"issuer {issuer.id}\nworkspace {issuer.path}")

    step("2. Define the micro-credential")
    achievement = micro_credential()
    (root / "achievement.json").write_text(json.dumps(achievement, indent=2) + "\n", "utf-8")
    levels = [lvl["name"] for lvl in achievement["resultDescription"][0]["rubricCriterionLevel"]]
    console.print(f"{achievement['name']}\nrubric: {' < '.join(levels)} "
                  f"(award at {LEVELS[1][0]} or above)\naligned to "
                  f"{achievement['alignment'][0]['targetName']}\n-> {root / 'achievement.json'}")

    step("3. Award it to a roster of 25 educators (evidence and rubric results per row)")
    roster = root / "roster.jsonl"
    rows = roster_rows(achievement)
    roster.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    summary = issuer.issue_many(achievement, roster, out=root / "badges", workers=workers)
    console.print(f"{summary.issued} issued in {summary.seconds:.2f} s -> {root / 'badges'}")
    again = issuer.issue_many(achievement, roster, out=root / "badges", workers=1)
    console.print(f"run again: {again.issued} issued, {again.existing} already issued "
                  "(idempotent)")
    records = {json.loads(r.document or "{}")["credentialSubject"]["identifier"][1][
        "identityHash"]: r for r in issuer.ledger.records()}
    first, second = records[EDUCATORS[0]], records[EDUCATORS[1]]

    step(f"4. Bake {EDUCATORS[0]}'s badge into a PNG")
    art = badge_art()
    (root / "badge-art.png").write_bytes(art)
    baked = root / "maria-lopez.png"
    baked.write_bytes(bake(art, first.document or ""))
    console.print(f"-> {baked} ({baked.stat().st_size} bytes)")

    step("5. Publish the status list and verify the baked badge")
    fetcher = _published(issuer, root / "site")
    result = verify(baked.read_bytes(), fetcher=fetcher)
    _print_table(result, ("maria.lopez@district.example",
                          result.is_recipient("maria.lopez@district.example")))

    step(f"6. Revoke {EDUCATORS[1]}'s badge, publish, verify it again")
    issuer.revoke(second.id, "evidence submitted for the wrong course", actor="pd-office")
    fetcher = _published(issuer, root / "site")
    revoked = verify(json.loads(second.document or "{}"), fetcher=fetcher)
    _print_table(revoked, None)
    unrevoked = verify(baked.read_bytes(), fetcher=fetcher)

    step("Files")
    for label, path in (("issuer workspace", issuer.path), ("achievement", root /
                        "achievement.json"), ("roster", roster), ("badges", root / "badges"),
                        ("baked badge", baked), ("published site", root / "site")):
        console.print(f"{label:<17} {path}")
    exe = Path(sys.executable).parent / "mcbadge"
    command = str(exe) if exe.exists() else "mcbadge"
    console.print("\nverify it yourself:")
    console.print(f"  {command} verify {baked} --offline --document "
                  f"{SITE}/status/revocation-1.json={root / 'site/status/revocation-1.json'}",
                  soft_wrap=True, markup=False)
    issuer.close()
    ok = (summary.issued == len(EDUCATORS) and again.issued == 0 and result.verified
          and unrevoked.verified and revoked.problems == ["CREDENTIAL_REVOKED"])
    if not ok:
        console.print("[bold red]the demo did not go as expected[/]")
        raise typer.Exit(1)
    console.print("\n[bold green]demo complete[/]")
    if serve:
        _serve_demo(issuer.path, port, console)


def _serve_demo(path: Path, port: int, console: Any) -> None:
    """Serve the demo workspace on loopback: every badge's page made public."""
    from mcbadge.delivery import Deliveries
    from mcbadge.issuing import Issuer
    from mcbadge.server import create_app

    try:
        import uvicorn
    except ImportError:
        fail("--serve needs the server extra: pip install 'mcbadge[server]'")
    workspace = Issuer.open(path)
    base = f"http://127.0.0.1:{port}"
    deliveries = Deliveries(workspace, base_url=base)
    urls = []
    for record in workspace.ledger.records():
        if record.issued:
            deliveries.set_public(record.id)
            urls.append(f"{base}/badges/{record.id.removeprefix('urn:uuid:')}")
    app = create_app(issuer=workspace, unsafe_no_auth=True, deliveries=deliveries)
    console.print(f"\nserving on {base} (Ctrl-C to stop)")
    console.print(f"  verifier page  {base}/verify", markup=False)
    for url in urls[:3]:
        console.print(f"  a badge's page {url}", markup=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _published(issuer: Any, site: Path) -> Any:
    from mcbadge.resolve import Fetcher

    written = issuer.publish_status(site)
    return Fetcher(documents={u: p.read_bytes() for u, p in written.items()}, offline=True)


def _program_demo(directory: Path | None) -> None:
    """25 educators through the review workflow; summary.json in DIR."""
    from mcbadge.programs._demo import run

    if directory is None:
        fail("mcbadge demo program DIR: say where to put it")
    if directory.exists() and any(directory.iterdir()):
        fail(f"{directory} is not empty; choose a new folder")
    summary = run(directory)
    typer.echo(f"program {summary['program']}: {summary['educators']} educators")
    for state, n in sorted(summary["states"].items()):
        typer.echo(f"  {state:<16}{n:>4} submission(s)")
    typer.echo(f"  {summary['awarded']} badges awarded, {summary['verified']} verified; "
               f"summary: {directory / 'summary.json'}")
