"""Every exception mcbadge raises, in one place.

All of them derive from :class:`MCBadgeError`, so ``except mcbadge.errors.MCBadgeError``
catches anything the library raises on purpose. Each carries a stable machine-readable
``code`` (used by the CLI and in verification results) next to its human message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "BakingError",
    "CanonicalizationError",
    "ContextConflictError",
    "ContextError",
    "ContextIntegrityError",
    "DataLossError",
    "FetchError",
    "FieldError",
    "IssuingError",
    "KeyFormatError",
    "KeyResolutionError",
    "LedgerError",
    "MCBadgeError",
    "ModelValidationError",
    "ProgramError",
    "SchemaError",
    "SchemaNotFoundError",
    "StatusListError",
    "UnknownContextError",
]


class MCBadgeError(Exception):
    """Base class of every error mcbadge raises deliberately."""

    code: str = "MCBADGE_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem found in a document: where (a JSON pointer) and what."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


class ModelValidationError(MCBadgeError, ValueError):
    """A document does not fit the Open Badges 3.0 data model.

    ``errors`` lists every problem found, each with a JSON pointer into the input.
    """

    code = "PARSING_ERROR"

    def __init__(self, message: str, errors: Sequence[FieldError] = ()) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        if self.errors:
            shown = "; ".join(str(e) for e in self.errors[:5])
            more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
            message = f"{message}: {shown}{more}"
        super().__init__(message)


# A schema problem has the same shape as a model problem: a pointer and a message.
SchemaError = FieldError
"""One JSON Schema violation: ``pointer`` into the document and a ``message``."""


class SchemaNotFoundError(MCBadgeError, LookupError):
    """No bundled 1EdTech JSON Schema fits the document or the requested schema id."""

    code = "SCHEMA_NOT_FOUND"


class ContextError(MCBadgeError):
    """Base class of JSON-LD context loading errors."""

    code = "CONTEXT_ERROR"


class UnknownContextError(ContextError, LookupError):
    """A document names a JSON-LD context that is neither bundled nor registered.

    mcbadge never fetches contexts from the network; register the context explicitly
    (``DocumentLoader(extra_contexts={url: document})`` or ``--context URL=FILE``) if you
    trust it.
    """

    code = "UNKNOWN_CONTEXT"

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"unknown JSON-LD context {url!r}: it is not bundled with mcbadge and was not "
            "registered; contexts are never fetched from the network (register it "
            "explicitly if you trust it)"
        )


class ContextIntegrityError(ContextError):
    """A bundled context file does not match its pinned SHA-256 (a corrupted install)."""

    code = "CONTEXT_INTEGRITY_ERROR"


class ContextConflictError(ContextError, ValueError):
    """An extra context was registered under a bundled URL with different content."""

    code = "CONTEXT_CONFLICT"


class KeyFormatError(MCBadgeError, ValueError):
    """A key could not be read, or is the wrong kind for what was asked of it."""

    code = "KEY_FORMAT_ERROR"


class CanonicalizationError(MCBadgeError, ValueError):
    """A document could not be put in canonical form (e.g. a number JCS cannot represent)."""

    code = "CANONICALIZATION_ERROR"


class DataLossError(CanonicalizationError):
    """JSON-LD processing would silently drop or rebase part of the document (W3C Data
    Integrity's DATA_LOSS_DETECTION_ERROR): a term no context defines, or a relative IRI.

    ``paths`` lists what would be lost, e.g. ``["/credentialSubject/favouriteColour"]``.
    """

    code = "DATA_LOSS_DETECTION_ERROR"

    def __init__(self, message: str, paths: Sequence[str] = ()) -> None:
        self.paths: tuple[str, ...] = tuple(paths)
        super().__init__(message)


class JsonLdFormError(MCBadgeError, ValueError):
    """The JSON is not the plain compacted form of its graph (a JSON-LD keyword, an alias,
    a full-IRI key, an inline context that redefines or aliases, a node described in two
    places): mcbadge refuses it rather than interpret it, because the checks would read
    something other than what the signature covers. ``paths`` names where."""

    code = "JSON_LD_FORM_ERROR"

    def __init__(self, message: str, paths: Sequence[str] = ()) -> None:
        self.paths: tuple[str, ...] = tuple(paths)
        super().__init__(message)


class StatusListError(MCBadgeError, ValueError):
    """A status list cannot answer: malformed, too short, wrong purpose, index out of range.

    ``code`` is the W3C / DCC problem name: ``STATUS_LIST_LENGTH_ERROR``, ``RANGE_ERROR``,
    ``STATUS_LIST_DECODING_ERROR``, ``STATUS_LIST_PURPOSE_ERROR``.
    """

    def __init__(self, message: str, code: str = "STATUS_LIST_DECODING_ERROR") -> None:
        super().__init__(message)
        self.code = code


class FetchError(MCBadgeError):
    """An HTTP fetch was refused or failed (scheme, address, size, type, status, timeout)."""

    code = "FETCH_ERROR"

    def __init__(self, message: str, url: str = "") -> None:
        self.url = url
        super().__init__(message)


class KeyResolutionError(MCBadgeError):
    """A verification method could not be turned into a public key.

    ``code``: ``DID_WEB_UNRESOLVED`` (the DID document could not be fetched),
    ``VERIFICATION_METHOD_NOT_FOUND`` (the document does not list it) or
    ``INVALID_VERIFICATION_METHOD`` (not a URL or DID mcbadge can resolve).
    """

    def __init__(self, message: str, code: str = "INVALID_VERIFICATION_METHOD") -> None:
        super().__init__(message)
        self.code = code


class BakingError(MCBadgeError, ValueError):
    """An image carries no credential, or its baked credential cannot be read."""

    code = "PARSING_ERROR"


class IssuingError(MCBadgeError):
    """An issuer workspace, a roster or an issuance request is not usable as given.

    ``code``: ``WORKSPACE_ERROR``, ``ROSTER_ERROR``, ``RECIPIENT_ERROR``, ``RESULT_ERROR``
    (a rubric level that is unknown or below the bar), ``IDEMPOTENCY_CONFLICT`` (a key
    reused for a different award or different data; ``fields`` names what differs),
    ``CREDENTIAL_REFUSED`` (a caller-built credential the VC Data Model forbids; ``fields``
    are JSON pointers), ``ID_CONFLICT`` (its id is already issued) or ``ISSUING_ERROR``.
    """

    code = "ISSUING_ERROR"

    def __init__(self, message: str, code: str | None = None, *,
                 fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.fields: tuple[str, ...] = tuple(fields)


class LedgerError(MCBadgeError):
    """The ledger could not record or answer something.

    ``code``: ``LEDGER_ERROR``, ``NOT_FOUND``, ``NOT_ISSUED``, ``NO_STATUS_ENTRY`` or
    ``ID_CONFLICT`` (a credential id the ledger already holds).
    """

    code = "LEDGER_ERROR"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ProgramError(MCBadgeError):
    """A micro-credential program step is not allowed or not well formed.

    ``code``: ``PROGRAM_ERROR`` (a malformed program definition), ``INVALID_TRANSITION`` (the
    submission is not in a state that allows the step; ``state`` says which), ``NOT_ALLOWED``
    (the actor's role, or identity, may not take the step), ``REVIEW_ERROR`` (a review that
    misses a criterion, names an unknown level, or lacks required feedback), ``NOT_FOUND``.
    """

    code = "PROGRAM_ERROR"

    def __init__(self, message: str, code: str | None = None, *,
                 state: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.state = state
