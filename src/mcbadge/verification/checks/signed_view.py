"""``signed_view``: the JSON every later check reads is exactly what the signature covers.

After the proof holds, the document is expanded in safe mode (the expansion the rdfc proof
already made is reused) and refused if anything would be lost in RDF, if a key means
something else than its bundled term, or if a node the checks read is described in a second
place (see :mod:`mcbadge.jsonld._view`). JCS and JWT proofs sign bytes, not the graph, but go
through the same rule, so every suite gives the same answer for the same document."""

from __future__ import annotations

from mcbadge.errors import DataLossError, JsonLdFormError, MCBadgeError
from mcbadge.jsonld._canon import shape_in_run
from mcbadge.jsonld._view import CLR_READ_POINTS, CREDENTIAL_READ_POINTS, check_signed_view
from mcbadge.verification._result import Check
from mcbadge.verification._state import State, kind_of
from mcbadge.verification.checks._base import VerifierCheck


class SignedViewCheck(VerifierCheck):
    id = "signed_view"
    phase = "after_signature"
    fatal = True
    skip_message = "not run: the JSON is not what the signature covers"
    problems = frozenset({"DATA_LOSS_DETECTION_ERROR", "JSON_LD_FORM_ERROR"})

    def run(self, state: State) -> Check:
        try:
            points = CLR_READ_POINTS if kind_of(state.document) == "clr" else \
                CREDENTIAL_READ_POINTS
            unsecured = state.unsecured
            state.shape = shape_in_run(unsecured)
            state.expansion = check_signed_view(unsecured, state.run.loader, points,
                                                shape=state.shape)
        except DataLossError as exc:
            return self.failed(exc.message, "DATA_LOSS_DETECTION_ERROR", paths=list(exc.paths))
        except JsonLdFormError as exc:
            return self.failed(exc.message, "JSON_LD_FORM_ERROR", paths=list(exc.paths))
        except MCBadgeError as exc:
            return self.failed(f"the document cannot be read as JSON-LD: {exc.message}",
                               "JSON_LD_FORM_ERROR")
        return self.passed("every statement the checks read is one the signature covers")
