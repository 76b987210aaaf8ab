"""``DataIntegrityProof`` with cryptosuite ``eddsa-rdfc-2022`` (W3C vc-di-eddsa §3.2).

The suite OB 3.0 certification requires. Canonical form: RDFC-1.0 N-Quads of the JSON-LD
document, in safe mode (a term no context defines, or a relative IRI, is a
``DATA_LOSS_DETECTION_ERROR``, never silently dropped), using only bundled or explicitly
registered contexts. The proof configuration is canonicalized with the document's
``@context``.

Speed: a standard proof configuration (type, cryptosuite, created, verificationMethod,
proofPurpose, bundled contexts only) is one blank node whose canonical form differs only in
the ``created`` literal and the ``verificationMethod`` IRI, so it is canonicalized once per
context list and purpose, and the two values are put into that template. Anything else
takes the full path.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from typing import Any

from mcbadge.jsonld import BUNDLED_CONTEXT_URLS, DocumentLoader, canonical_nquads
from mcbadge.jsonld._plain import is_absolute_iri
from mcbadge.proofs._eddsa import EddsaSuite

__all__ = ["Eddsa2022Legacy", "EddsaRdfc2022", "RdfcCanonical"]

_STANDARD_KEYS = frozenset(
    {"@context", "type", "cryptosuite", "created", "verificationMethod", "proofPurpose"}
)
_CREATED_RE = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")
_SAFE_IRI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|^`\\]*\Z")
_CREATED_MARK = "2000-01-01T00:00:00Z"
_VM_MARK = "urn:mcbadge:template:verification-method"
_MAX_TEMPLATES = 64


class RdfcCanonical:
    """RDFC-1.0 canonical forms for a Data Integrity suite, with the proof-configuration
    template (module doc); shared by eddsa-rdfc-2022 and ecdsa-rdfc-2019."""

    def __init__(self) -> None:
        self._templates: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def canonicalize(self, document: Mapping[str, Any], loader: DocumentLoader,
                     hash_name: str = "sha256") -> bytes:
        fast = self._from_template(document, loader)
        if fast is not None:
            return fast.encode("utf-8")
        return canonical_nquads(document, loader, hash_name=hash_name).encode("utf-8")

    def _from_template(self, config: Mapping[str, Any], loader: DocumentLoader) -> str | None:
        if config.get("type") != "DataIntegrityProof" or not set(config) <= _STANDARD_KEYS:
            return None
        created, vm = config.get("created"), config.get("verificationMethod")
        if not (isinstance(created, str) and _CREATED_RE.match(created)):
            return None
        if not (isinstance(vm, str) and _SAFE_IRI_RE.match(vm) and is_absolute_iri(vm)):
            return None  # the full path escapes it, or refuses it as data loss
        ctx = config.get("@context")
        contexts = ctx if isinstance(ctx, list) else [ctx]
        if not all(isinstance(c, str) and c in BUNDLED_CONTEXT_URLS for c in contexts):
            return None
        key = json.dumps(
            [ctx, config.get("cryptosuite"), config.get("proofPurpose")], sort_keys=True
        )
        template = self._templates.get(key)
        if template is None:
            probe = {**config, "created": _CREATED_MARK, "verificationMethod": _VM_MARK}
            text = canonical_nquads(probe, loader)
            if text.count(_CREATED_MARK) != 1 or text.count(_VM_MARK) != 1:
                return None
            template = (text, _CREATED_MARK)
            with self._lock:
                if len(self._templates) < _MAX_TEMPLATES:
                    self._templates[key] = template
        text = template[0].replace(f'"{_CREATED_MARK}"', f'"{created}"', 1)
        text = text.replace(f"<{_VM_MARK}>", f"<{vm}>", 1)
        # one subject, distinct predicates: re-sorting keeps it canonical whatever the values
        # (lines end at "\n" only: U+2028, U+0085 and friends are not line ends in N-Quads)
        lines = text.split("\n")
        return "\n".join(sorted(line for line in lines if line)) + "\n"


class EddsaRdfc2022(RdfcCanonical, EddsaSuite):
    """The eddsa-rdfc-2022 cryptosuite."""

    name = "eddsa-rdfc-2022"


class Eddsa2022Legacy(EddsaRdfc2022):
    """``eddsa-2022``: the draft name of eddsa-rdfc-2022 (with the Data Integrity v1
    context). Verified for old credentials; never used to sign."""

    name = "eddsa-2022"
