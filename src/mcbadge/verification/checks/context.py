"""``context``: the contexts are known, and the JSON is in the plain form (before the
signature, linear in the document's size, nothing fetched or expanded)."""

from __future__ import annotations

import re

from mcbadge.errors import JsonLdFormError, UnknownContextError
from mcbadge.jsonld._plain import check_plain_form
from mcbadge.verification._result import Check
from mcbadge.verification._state import State, full_shape, kind_of
from mcbadge.verification.checks._base import VerifierCheck

VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = re.compile(r"https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d+\.\d+)?\.json")
CLR_CONTEXT = re.compile(
    r"https://purl\.imsglobal\.org/spec/clr/v2p0/context(-2\.\d+\.\d+)?\.json")


class ContextCheck(VerifierCheck):
    id = "context"
    phase = "before_signature"
    fatal = True
    skip_message = "not run: the document's contexts or form are refused"
    problems = frozenset({"INVALID_CONTEXT", "UNKNOWN_CONTEXT", "JSON_LD_FORM_ERROR"})

    def run(self, state: State) -> Check:
        doc = state.document
        ctx = doc.get("@context")
        if not isinstance(ctx, list) or not ctx:
            return self.failed("@context must be a non-empty list", "INVALID_CONTEXT")
        if ctx[0] not in (VC_V2, VC_V1):
            return self.failed(f"the first @context must be {VC_V2} (or {VC_V1}), not "
                               f"{ctx[0]!r}", "INVALID_CONTEXT")
        if any(not isinstance(c, str | dict) for c in ctx):
            return self.failed("@context entries must be URLs or objects", "INVALID_CONTEXT")
        urls = [c for c in ctx if isinstance(c, str)]
        kind = kind_of(doc)
        if kind in ("ob", "endorsement") and not any(OB_CONTEXT.fullmatch(u) for u in urls):
            return self.failed("an Open Badges credential must declare the OB 3.0 context "
                               "(https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json)",
                               "INVALID_CONTEXT")
        if kind == "clr" and not any(CLR_CONTEXT.fullmatch(u) for u in urls):
            return self.failed("a CLR credential must declare the CLR 2.0 context",
                               "INVALID_CONTEXT")
        try:
            check_plain_form(doc, state.run.loader, full_shape(state))
        except UnknownContextError as exc:
            return self.failed(f"context {exc.url} is not bundled with mcbadge; contexts are "
                               "never fetched (register it with "
                               "DocumentLoader(extra_contexts=...))", "UNKNOWN_CONTEXT",
                               unknown=[exc.url])
        except JsonLdFormError as exc:
            code = ("INVALID_CONTEXT" if all(p.startswith("/@context") for p in exc.paths)
                    else "JSON_LD_FORM_ERROR")
            return self.failed(exc.message, code, paths=list(exc.paths))
        return self.passed(f"{len(ctx)} contexts, all known; the JSON is in plain form")
