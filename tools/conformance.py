"""Run the W3C test suites (../shared/conformance, offline) against ``mcbadge serve``.

``make conformance`` runs this. It skips cleanly (exit 0, one line) without the kit or npm.
Otherwise it installs the suites once into ``.conformance/suites``, makes a throw-away issuer
workspace (a did:key issuer whose status lists live at ``https://127.0.0.1:PORT/status``;
a second one with a P-256 key for the ECDSA suite), a self-signed certificate for
127.0.0.1, starts ``mcbadge serve`` over https on loopback for each,
runs each suite with the kit's ``run.sh`` and prints each suite's counts, then a table.

    python tools/conformance.py [SUITE ...]      # default: eddsa ed2020 dm2 bsl ecdsa
    MCBADGE_SHARED=/path/to/shared python tools/conformance.py
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MCBADGE_SHARED", ROOT.parent / "shared"))
KIT = SHARED / "conformance"
DEST = ROOT / ".conformance" / "suites"
RESULTS = ROOT / ".conformance" / "results.json"
SUITES = ("eddsa", "ed2020", "dm2", "bsl", "ecdsa")
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
TARGETS = {"eddsa": 56, "ed2020": 29, "dm2": 50}


def _skip(message: str) -> None:
    print(f"conformance: skipped: {message}")
    sys.exit(0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    return cert_path, key_path


def _wait(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"conformance: mcbadge serve exited ({process.returncode})")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("conformance: mcbadge serve did not start")


def _serve(folder: Path, key_type: str, cert: Path, key: Path, log: Any,
           servers: list[subprocess.Popen[bytes]]) -> tuple[str, str]:
    """A throw-away workspace of ``key_type`` served over https on loopback: its origin and
    issuer DID."""
    from mcbadge.issuing import Issuer

    port = _free_port()
    origin = f"https://127.0.0.1:{port}"
    issuer = Issuer.create(folder, name=f"mcbadge conformance issuer ({key_type})",
                           url=origin, key_type=key_type)
    did = issuer.id
    issuer.close()
    examples = SHARED / "reference/contexts/w3c/credentials-examples-v2.jsonld"
    server = subprocess.Popen(  # noqa: S603 (this interpreter, our own arguments)
        [sys.executable, "-m", "mcbadge", "serve", "-i", str(folder),
         "--port", str(port), "--ssl-certfile", str(cert), "--ssl-keyfile", str(key),
         "--log-level", "info",
         # the suites' credentials use the W3C examples context (the peer's reference run
         # adds it to its loader too)
         "--context", f"{EXAMPLES}={examples}"],
        env={**os.environ, "MCBADGE_SERVE_TOKEN": ""}, stderr=log, stdout=log)
    servers.append(server)
    _wait(port, server)
    return origin, did


def main(argv: list[str]) -> int:
    suites = argv or list(SUITES)
    if not (KIT / "run.sh").exists():
        _skip(f"no conformance kit at {KIT} (it comes with ../shared)")
    if shutil.which("npm") is None or shutil.which("node") is None:
        _skip("node and npm are needed to run the W3C suites")
    DEST.mkdir(parents=True, exist_ok=True)
    setup = subprocess.run([str(KIT / "setup.sh"), str(DEST)],  # noqa: S603 (the kit's own)
                           capture_output=True, text=True)
    if setup.returncode != 0:
        print(setup.stdout[-2000:], setup.stderr[-2000:], sep="\n")
        _skip("the suites could not be installed (npm registry unreachable?)")
    with tempfile.TemporaryDirectory(prefix="mcbadge-conformance-") as tmp:
        work = Path(tmp)
        cert, key = _certificate(work)
        log = (ROOT / ".conformance" / "serve.log").open("w")
        servers: list[subprocess.Popen[bytes]] = []
        counts: dict[str, str] = {}
        try:
            ed_origin, ed_did = _serve(work / "ed25519", "ed25519", cert, key, log, servers)
            ec_origin, ec_did = _serve(work / "p256", "p256", cert, key, log, servers)
            env = {
                **os.environ,
                "VCAPI_IMPL_NAME": "mcbadge",
                "VCAPI_CA_CERT": str(cert),
                "NODE_EXTRA_CA_CERTS": str(cert),
            }
            eddsa = {
                "VCAPI_ISSUER_DID": ed_did,
                "VCAPI_ISSUE_URL_RDFC": f"{ed_origin}/suites/eddsa-rdfc-2022/credentials/issue",
                "VCAPI_ISSUE_URL_JCS": f"{ed_origin}/suites/eddsa-jcs-2022/credentials/issue",
                "VCAPI_ISSUE_URL_ED2020":
                    f"{ed_origin}/suites/Ed25519Signature2020/credentials/issue",
                "VCAPI_ISSUE_URL_STATUS": f"{ed_origin}/credentials/issue",
                "VCAPI_VERIFY_URL": f"{ed_origin}/credentials/verify",
                "VCAPI_VP_VERIFY_URL": f"{ed_origin}/presentations/verify",
                "VCAPI_VERIFY_TAGS": "eddsa-rdfc-2022,eddsa-jcs-2022",
            }
            # the ECDSA suite: a second workspace with a P-256 key (one key per workspace)
            ecdsa = {
                "VCAPI_ISSUER_DID": ec_did,
                "VCAPI_ISSUER_DID_ECDSA": ec_did,
                "VCAPI_ISSUE_URL_ECDSA_RDFC":
                    f"{ec_origin}/suites/ecdsa-rdfc-2019/credentials/issue",
                "VCAPI_ISSUE_URL_ECDSA_JCS": f"{ec_origin}/suites/ecdsa-jcs-2019/credentials/issue",
                "VCAPI_ISSUE_URL_ECDSA_SD": f"{ec_origin}/suites/ecdsa-sd-2023/credentials/issue",
                "VCAPI_VERIFY_URL": f"{ec_origin}/credentials/verify",
            }
            for suite in suites:
                run = subprocess.run([str(KIT / "run.sh"), str(DEST), suite],  # noqa: S603
                                     env={**env, **(ecdsa if suite == "ecdsa" else eddsa)},
                                     capture_output=True, text=True)
                lines = [ln for ln in run.stdout.splitlines() if ln.strip()]
                last = lines[-1] if lines else f"{suite}: no output ({run.stderr[-300:]})"
                counts[suite] = last.partition(": ")[2] or last
                print(last, flush=True)
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=10)
    RESULTS.write_text(json.dumps(counts, indent=2) + "\n")
    print("\nsuite    result (targets: eddsa >= 56, ed2020 >= 29, dm2 >= 50, bsl: no failures; "
          "ecdsa: the peer's 109)")
    for suite, line in counts.items():
        print(f"{suite:<8} {line}")
    print(f"per-test results: {DEST / 'results'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
