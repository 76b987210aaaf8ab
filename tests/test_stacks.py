"""Stacks: all-of, n-of and ordered rules, external components, auto-award exactly once,
revocation reported; the educator's record as a CLR 2.0 credential, each nested credential
verified on its own."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import mcbadge
from mcbadge.errors import ProgramError
from mcbadge.issuing import Issuer
from mcbadge.resolve import Fetcher
from mcbadge.stacks import Stack, Stacks
from tests.conftest import REPO

BASE = "https://pd.district.example"
PARTS = [f"{BASE}/mc/community", f"{BASE}/mc/cross-cultural", f"{BASE}/mc/discipline"]
WHO = "ada@district.example"


def _achievement(aid: str, credits: float = 10) -> dict[str, Any]:
    return {"id": aid, "name": aid.rsplit("/", 1)[-1].title(), "description": "A competency.",
            "criteria": {"narrative": "Evidence reviewed against the rubric."},
            "achievementType": "MicroCredential", "creditsAvailable": credits}


def _stack(rule: str = "all", n: int | None = None, trusted: tuple[str, ...] = ()) -> Stack:
    return Stack.create({"id": f"{BASE}/stacks/crt-{rule}", "name": "Culturally Responsive "
                         "Teaching", "description": "Three micro-credentials together.",
                         "achievementType": "Certificate",
                         "criteria": {"narrative": "Earn the component micro-credentials."}},
                        PARTS, rule=rule, n=n, trusted_issuers=trusted)


@pytest.fixture
def ws(tmp_path: Path) -> Any:
    issuer = Issuer.create(tmp_path / "issuer", name="District PD", url=BASE)
    stacks = Stacks(issuer)
    yield issuer, stacks
    stacks.close()
    issuer.close()


def _fetcher(*issuers: Issuer) -> Fetcher:
    docs: dict[str, Any] = {}
    for issuer in issuers:
        docs.update(issuer.status_list_credentials())
    return Fetcher(documents=docs, offline=True)


def test_all_of_awards_once_when_the_last_component_arrives(ws: Any) -> None:
    issuer, stacks = ws
    stacks.define(_stack("all"))
    for part in PARTS[:2]:
        issuer.issue(_achievement(part), WHO)
    [progress] = stacks.progress(WHO)
    assert not progress.complete and progress.missing == [PARTS[2]]
    assert stacks.award_due(WHO) == []
    issuer.issue(_achievement(PARTS[2]), WHO)
    [badge] = stacks.award_due(WHO)
    assert badge["credentialSubject"]["achievement"]["id"] == f"{BASE}/stacks/crt-all"
    held = stacks.progress(WHO)[0].held
    assert sorted(e["id"] for e in badge["evidence"]) == sorted(held.values())
    assert stacks.award_due(WHO) == [] and issuer.ledger.count() == 4
    assert mcbadge.verify(badge, fetcher=_fetcher(issuer)).verified


def test_n_of_and_ordered_rules(ws: Any) -> None:
    issuer, stacks = ws
    stacks.define(_stack("n", n=2))
    stacks.define(_stack("ordered"))
    issuer.issue(_achievement(PARTS[2]), WHO)  # out of order first
    time.sleep(0.01)
    issuer.issue(_achievement(PARTS[0]), WHO)
    by_rule = {p.stack.rsplit("-", 1)[-1]: p for p in stacks.progress(WHO)}
    assert by_rule["n"].complete and not by_rule["ordered"].complete
    time.sleep(1.01)  # issued_at has second resolution
    issuer.issue(_achievement(PARTS[1]), WHO)
    by_rule = {p.stack.rsplit("-", 1)[-1]: p for p in stacks.progress(WHO)}
    assert not by_rule["ordered"].complete  # all held, but not in the order listed
    awarded = stacks.award_due(WHO)
    assert [b["credentialSubject"]["achievement"]["id"] for b in awarded] == [
        f"{BASE}/stacks/crt-n"]
    with pytest.raises(ProgramError):
        Stack.create(_stack().achievement, PARTS, rule="n", n=5)


def test_external_components_count_only_if_they_verify_and_are_the_recipients(
        ws: Any, tmp_path: Path) -> None:
    issuer, stacks = ws
    other = Issuer.create(tmp_path / "other", name="State PD", url="https://state.example")
    stacks.define(_stack("all", trusted=(other.id,)))
    issuer.issue(_achievement(PARTS[0]), WHO)
    issuer.issue(_achievement(PARTS[1]), WHO)
    theirs = other.issue(_achievement(PARTS[2]), WHO)
    someone_elses = other.issue(_achievement(PARTS[2]), "bo@district.example")
    tampered = copy.deepcopy(dict(theirs))
    tampered["credentialSubject"]["achievement"]["name"] = "Something else"
    fetcher = _fetcher(issuer, other)
    for bad in (someone_elses, tampered):
        assert not stacks.progress(WHO, external=[bad], fetcher=fetcher)[0].complete
    assert stacks.progress(WHO, external=[theirs], fetcher=fetcher)[0].complete
    untrusted = Stack.create({**_stack().achievement, "id": f"{BASE}/stacks/untrusting"},
                             PARTS)
    stacks.define(untrusted)
    by_id = {p.stack: p for p in stacks.progress(WHO, external=[theirs], fetcher=fetcher)}
    assert not by_id[untrusted.id].complete  # the other issuer is not in its trusted list
    [badge] = stacks.award_due(WHO, external=[theirs], fetcher=fetcher)
    assert theirs["id"] in [e["id"] for e in badge["evidence"]]
    other.close()


AWARDER = """
import sys
from mcbadge.issuing import Issuer
from mcbadge.stacks import Stacks
issuer = Issuer.open(sys.argv[1])
stacks = Stacks(issuer)
for who in sys.argv[2:]:
    stacks.award_due(who)
    print(who, flush=True)
"""


def test_auto_award_is_exactly_once_under_sigkill_and_re_run(ws: Any) -> None:
    issuer, stacks = ws
    stacks.define(_stack("all"))
    people = [f"t{i}@district.example" for i in range(12)]
    for who in people:
        for part in PARTS:
            issuer.issue(_achievement(part), who)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")])}
    for cut in (2, 5):
        child = subprocess.Popen([sys.executable, "-c", AWARDER, str(issuer.path), *people],
                                 env=env, stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        for _ in range(cut):
            child.stdout.readline()
        child.send_signal(signal.SIGKILL)
        child.wait()
    for who in people:
        stacks.award_due(who)
    db = stacks._db()
    for who in people:
        rows = db.execute("SELECT state FROM credentials WHERE idempotency_key = ?",
                          (f"stack:{BASE}/stacks/crt-all:{who}",)).fetchall()
        assert rows == [("issued",)], who
        assert stacks.progress(who)[0].awarded is not None
    assert issuer.ledger.count() == len(people) * 4 and issuer.ledger.count("reserved") == 0


def test_revoking_a_component_is_reported_and_can_cascade(ws: Any) -> None:
    issuer, stacks = ws
    stacks.define(_stack("all"))
    parts = [issuer.issue(_achievement(p), WHO) for p in PARTS]
    [badge] = stacks.award_due(WHO)
    issuer.revoke(parts[0]["id"], "awarded in error")  # revoked elsewhere: still reported
    [flag] = stacks.flagged()
    assert flag["credential"] == badge["id"]
    assert flag["revoked_components"][0]["credential"] == parts[0]["id"]
    affected = stacks.revoke_component(parts[1]["id"], "plagiarised video", cascade=True)
    assert [a["credential"] for a in affected] == [badge["id"]]
    assert issuer.record(badge["id"]).revoked  # type: ignore[union-attr]
    assert stacks.flagged() == []
    assert not stacks.progress(WHO)[0].complete  # revoked components no longer count


def test_the_clr_bundles_the_record_with_its_structure_and_verifies(ws: Any) -> None:
    issuer, stacks = ws
    stacks.define(_stack("all"))
    for part in PARTS:
        issuer.issue(_achievement(part, credits=12.5), WHO)
    stacks.award_due(WHO)
    clr = issuer.clr(WHO, associations=stacks.associations())
    subject = clr["credentialSubject"]
    assert len(subject["verifiableCredential"]) == 4
    assert {(a["sourceId"], a["targetId"]) for a in subject["association"]} == {
        (p, f"{BASE}/stacks/crt-all") for p in PARTS}
    assert "37.5 credit(s)" in clr["description"]
    result = mcbadge.verify(clr, fetcher=_fetcher(issuer))
    assert result.verified, result.problems
    assert result.check("schema").outcome == "passed"  # type: ignore[union-attr]
    nested = result.check("clr_credentials")
    assert nested is not None and len(nested.nested) == 4
    assert all(r.verified for r in nested.nested)
    # a nested credential changed and the CLR re-signed over it: that one fails, and the CLR
    bad = copy.deepcopy(clr)
    del bad["proof"]
    bad["credentialSubject"]["verifiableCredential"][1]["credentialSubject"][
        "achievement"]["name"] = "Forged"
    bad = issuer.sign(bad)
    result = mcbadge.verify(bad, fetcher=_fetcher(issuer))
    assert not result.verified and result.problems == ["CLR_CREDENTIAL_INVALID"]
    check = result.check("clr_credentials")
    assert check is not None
    assert [r.verified for r in check.nested] == [True, False, True, True]
    with pytest.raises(Exception, match="holds no credential"):
        issuer.clr("nobody@district.example")


def test_the_peer_verifies_the_clr(ws: Any, tmp_path: Path) -> None:
    import shutil

    peer = REPO / ".peer"
    if shutil.which("node") is None or not (peer / "node_modules").is_dir():
        pytest.skip("peer harness not installed (run `make peer` with ../shared/peer)")
    issuer, stacks = ws
    stacks.define(_stack("all"))
    for part in PARTS:
        issuer.issue(_achievement(part), WHO)
    stacks.award_due(WHO)
    clr = issuer.clr(WHO, associations=stacks.associations())
    args = []
    for i, (url, doc) in enumerate(issuer.status_list_credentials().items()):
        (tmp_path / f"l{i}.json").write_text(json.dumps(doc))
        args += ["--status", f"{url}={tmp_path / f'l{i}.json'}"]
    (tmp_path / "clr.json").write_text(json.dumps(clr))
    # the peer does not bundle the CLR 2.0.1 context: it gets the same bytes we bundle
    context = REPO / "src/mcbadge/jsonld/contexts/1edtech_clr_v2p0_context-2.0.1.json"
    args += ["--doc", f"https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json={context}"]
    done = subprocess.run(["node", "verify.mjs", *args, str(tmp_path / "clr.json")],
                          cwd=peer, capture_output=True, text=True, timeout=120)
    report = json.loads(done.stdout)
    assert done.returncode == 0, report
    assert report["verified"] is True


def test_the_ledger_lists_one_recipients_issued_credentials(ws: Any) -> None:
    issuer, _ = ws
    mine = [issuer.issue(_achievement(p), WHO)["id"] for p in PARTS[:2]]
    issuer.issue(_achievement(PARTS[2]), "someone@district.example")
    assert [r.id for r in issuer.ledger.records_of(WHO)] == mine
    assert issuer.ledger.records_of("nobody@district.example") == []
