"""``mcbadge keygen`` and ``mcbadge sign``."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from mcbadge.cli import app, fail, parse_contexts, read_json_file
from mcbadge.jsonld import DocumentLoader
from mcbadge.keys import Ed25519Key, JwtKey, load_key, save_key
from mcbadge.proofs import SUITES, sign, sign_jwt


class KeyType(StrEnum):
    ed25519 = "ed25519"
    p256 = "p256"
    p384 = "p384"
    rsa = "rsa"


class KeyFormat(StrEnum):
    multikey = "multikey"
    jwk = "jwk"
    pem = "pem"


class Suite(StrEnum):
    eddsa_rdfc_2022 = "eddsa-rdfc-2022"
    eddsa_jcs_2022 = "eddsa-jcs-2022"
    ed25519_signature_2020 = "Ed25519Signature2020"
    ecdsa_rdfc_2019 = "ecdsa-rdfc-2019"
    ecdsa_jcs_2019 = "ecdsa-jcs-2019"
    ecdsa_sd_2023 = "ecdsa-sd-2023"
    jwt = "jwt"


assert {s.value for s in Suite} - {"jwt"} == set(SUITES)

PASSPHRASE_ENV = "MCBADGE_KEY_PASSPHRASE"  # noqa: S105 (a variable name, not a secret)


@app.command(rich_help_panel="Keys and signing")
def keygen(
    output: Annotated[Path, typer.Option("--output", "-o", help="Key file to write (0600).")],
    key_type: Annotated[KeyType, typer.Option("--type", help="Key type.")] = KeyType.ed25519,
    seed: Annotated[
        str | None, typer.Option(help="32-byte seed in hex (Ed25519 only; for tests).")
    ] = None,
    fmt: Annotated[
        KeyFormat | None,
        typer.Option(
            "--format", help="multikey (Ed25519 default; also P-256/P-384, for the ECDSA "
                             "suites), jwk, or pem (P-256/P-384/RSA default)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the key's public facts as JSON.")] = False,
) -> None:
    """Make a signing key and write it, private, to a file; print its public identifier."""
    if output.exists() and not force:
        fail(f"{output} exists; use --force to overwrite it")
    key: Ed25519Key | JwtKey
    if key_type is KeyType.ed25519:
        if seed is not None:
            try:
                raw = bytes.fromhex(seed)
            except ValueError:
                fail("--seed must be 64 hex characters")
            key = Ed25519Key.from_seed(raw)
        else:
            key = Ed25519Key.generate()
    else:
        if seed is not None:
            fail("--seed works only with --type ed25519")
        key = JwtKey.generate(key_type.value)
    chosen = fmt or (KeyFormat.multikey if isinstance(key, Ed25519Key) else KeyFormat.pem)
    passphrase = os.environ.get(PASSPHRASE_ENV) if chosen is KeyFormat.pem else None
    save_key(key, output, chosen.value, passphrase)
    if as_json:
        facts = ({"alg": "EdDSA", "did": key.did, "verificationMethod": key.verification_method,
                  "publicKeyMultibase": key.public_key_multibase}
                 if isinstance(key, Ed25519Key) else {"alg": key.alg, **_ec_facts(key)})
        typer.echo(json.dumps({**facts, "file": str(output), "format": chosen.value}, indent=2))
    elif isinstance(key, Ed25519Key):
        typer.echo(key.did)
    else:
        typer.echo(json.dumps({"alg": key.alg, **_ec_facts(key), "file": str(output)}))


def _ec_facts(key: JwtKey) -> dict[str, str]:
    """did:key facts of a P-256 / P-384 key (an RSA key has none)."""
    if key.alg == "RS256":
        return {}
    return {"did": key.did, "verificationMethod": key.verification_method,
            "publicKeyMultibase": key.public_key_multibase}


@app.command("sign", rich_help_panel="Keys and signing")
def sign_command(
    document: Annotated[Path, typer.Argument(help="Unsigned credential JSON, or - for stdin.")],
    key_file: Annotated[Path, typer.Option("--key", help="Key file: Multikey, JWK or PEM.")],
    suite: Annotated[Suite, typer.Option(help="Proof suite, or jwt.")] = Suite.eddsa_rdfc_2022,
    created: Annotated[str | None, typer.Option(help="Proof creation time (ISO 8601).")] = None,
    verification_method: Annotated[
        str | None, typer.Option(help="Verification method id (default: the key's did:key).")
    ] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(help="URL=FILE: trust an extra JSON-LD context for this call. Repeatable."),
    ] = None,
    mandatory: Annotated[
        list[str] | None,
        typer.Option("--mandatory", help="ecdsa-sd-2023: a JSON pointer every derived proof "
                     "reveals (e.g. /issuer). Repeatable."),
    ] = None,
) -> None:
    """Sign a credential; print the signed document (or the compact JWT) to stdout.
    ``--suite ecdsa-sd-2023`` makes a base proof, for the holder to derive from."""
    doc = read_json_file(document)
    if not isinstance(doc, dict):
        fail("the document must be a JSON object")
    key = load_key(key_file, os.environ.get(PASSPHRASE_ENV))
    if mandatory and suite is not Suite.ecdsa_sd_2023:
        fail("--mandatory is for --suite ecdsa-sd-2023")
    if suite is Suite.jwt:
        typer.echo(sign_jwt(doc, key, kid=verification_method))
        return
    problem = SUITES[suite.value].key_problem(key)
    if problem is not None:
        kind = "Ed25519" if isinstance(key, Ed25519Key) else key.curve or key.alg
        fail(f"{problem}; this is a {kind} key (ECDSA suites take P-256/P-384, the EdDSA "
             "ones Ed25519; any key signs --suite jwt)")
    if not key.has_private:
        fail(f"{key_file} holds only a public key; signing needs the private key")
    loader = DocumentLoader(extra_contexts=parse_contexts(context)) if context else None
    signed = sign(
        doc, key, suite=suite.value, created=created,
        verification_method=verification_method, loader=loader,
        mandatory_pointers=mandatory or (),
    )
    typer.echo(json.dumps(signed, indent=2, ensure_ascii=False))


@app.command("derive", rich_help_panel="Keys and signing")
def derive_command(
    document: Annotated[Path, typer.Argument(
        help="A credential with an ecdsa-sd-2023 base proof, or - for stdin.")],
    reveal: Annotated[list[str] | None, typer.Option(
        "--reveal", help="A JSON pointer to disclose (the mandatory ones always are). "
                         "Repeatable.")] = None,
    hide_results: Annotated[bool, typer.Option(
        "--hide-results", help="The OB preset: disclose everything but "
                               "credentialSubject.result and evidence.")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the derived credential here (default: stdout).")] = None,
    proof_id: Annotated[str | None, typer.Option(
        help="The base proof's id, when the credential has several.")] = None,
    context: Annotated[list[str] | None, typer.Option(
        help="URL=FILE: trust an extra JSON-LD context for this call. Repeatable.")] = None,
) -> None:
    """Derive a selective-disclosure proof: the credential with only the chosen parts, and
    a proof any verifier checks (what is not disclosed cannot be recovered)."""
    from mcbadge._private.files import write_atomic
    from mcbadge.proofs import derive, reveal_except

    doc = read_json_file(document)
    if not isinstance(doc, dict):
        fail("the document must be a JSON object")
    if not reveal and not hide_results:
        fail("say what to disclose: --reveal /pointer ... or --hide-results")
    pointers = list(reveal or [])
    if hide_results:
        pointers += [p for p in reveal_except(doc) if p not in pointers]
    loader = DocumentLoader(extra_contexts=parse_contexts(context)) if context else None
    derived = derive(doc, pointers, loader=loader, proof_id=proof_id)
    text = json.dumps(derived, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text.encode())
