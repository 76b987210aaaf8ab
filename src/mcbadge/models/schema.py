"""Validation against the official 1EdTech JSON Schemas (bundled, compiled once).

Which schema: :func:`validate_schema` picks it from the document's ``type``
(OpenBadgeCredential/AchievementCredential, EndorsementCredential, ClrCredential, Profile),
or takes the ``schema_id`` the caller (or the credential's ``credentialSchema``) names.

Two deliberate adaptations, both documented in docs/concepts/models.md:

- ``proof`` may be a single object. The formal OB 3.0 schema wants an array, while the
  spec's own examples and test vectors use an object; a single object is checked as a
  one-element array.
- A VC 1.1-era OB 3.0 document (first context ``https://www.w3.org/2018/credentials/v1``) is
  checked with ``issuanceDate``/``expirationDate`` read as ``validFrom``/``validUntil``
  (1EdTech's VC 1.1-compatible "any" schemas are not published as files); errors still point
  at the member as written.

A conforming document is told apart quickly: the bundled schemas are compiled once
(fastjsonschema; its "valid" only), and a document shape seen twice gets a residual
(:mod:`mcbadge._private.schema_residual`) that decides from its leaf strings alone; any
failure goes to jsonschema, which finds the errors.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from jsonschema import Draft201909Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

from mcbadge._private.jsonutil import check_depth, to_pointer
from mcbadge._private.schema_residual import Leaf, Residual, residual
from mcbadge.errors import ModelValidationError, SchemaError, SchemaNotFoundError
from mcbadge.jsonld._templates import Shape, ShapeKey, marked, shape_of
from mcbadge.models._base import DateTimeZ

__all__ = ["SCHEMA_IDS", "SchemaError", "validate_schema"]

_PURL = "https://purl.imsglobal.org/spec"
OB_ACHIEVEMENT_CREDENTIAL = f"{_PURL}/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
OB_ENDORSEMENT_CREDENTIAL = f"{_PURL}/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json"
OB_PROFILE = f"{_PURL}/ob/v3p0/schema/json/ob_v3p0_profile_schema.json"
CLR_CREDENTIAL = f"{_PURL}/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"

# URL a schema is published at -> file under schemas/. The formal ("json/") Endorsement,
# Profile and CLR schemas are not available as files; their JSON-LD adaptations ("json-ld/")
# accept everything the formal ones do and stand in for them.
_SCHEMA_FILES: dict[str, str] = {
    OB_ACHIEVEMENT_CREDENTIAL: "ob/v3p0/json/ob_v3p0_achievementcredential_schema.json",
}
for _family, _names in {
    "ob/v3p0": (
        "achievementcredential", "endorsementcredential", "profile",
        "getopenbadgecredentialsresponse", "imsx_statusinfo",
    ),
    "clr/v2p0": (
        "achievementcredential", "clrcredential", "endorsementcredential", "profile",
        "getclrcredentialsresponse", "imsx_statusinfo",
    ),
}.items():
    _prefix = _family.split("/")[0] + "_" + _family.split("/")[1]
    for _name in _names:
        _file = f"{_family}/json-ld/{_prefix}_{_name}_schema.json"
        _base = f"{_PURL}/{_family}/schema"
        _SCHEMA_FILES[f"{_base}/json-ld/{_prefix}_{_name}_schema.json"] = _file
        _SCHEMA_FILES.setdefault(f"{_base}/json/{_prefix}_{_name}_schema.json", _file)
        if _name.endswith("credential"):
            # the VC 1.1-compatible "any" schemas are not published as files: the adapted
            # schema plus the VC 1.1 reading below stands in for them
            for _flavour in ("json", "json-ld"):
                _SCHEMA_FILES[f"{_base}/{_flavour}/{_prefix}_any{_name}_schema.json"] = _file

SCHEMA_IDS: frozenset[str] = frozenset(_SCHEMA_FILES)
"""Every schema URL :func:`validate_schema` can check against, offline."""

_VC_V1 = "https://www.w3.org/2018/credentials/v1"
_VC_V2 = "https://www.w3.org/ns/credentials/v2"
_MAX_MESSAGE = 300


def _schemas_root() -> Traversable | Path:
    packaged = resources.files("mcbadge").joinpath("schemas")
    if packaged.is_dir():
        return packaged
    # editable / source checkout: the repository's top-level schemas/ folder
    source = Path(__file__).resolve().parents[3] / "schemas"
    if source.is_dir():
        return source
    raise SchemaNotFoundError("the bundled 1EdTech schemas are missing from this installation")


@functools.cache
def _load_schema(schema_id: str) -> dict[str, Any]:
    try:
        rel = _SCHEMA_FILES[schema_id]
    except KeyError:
        raise SchemaNotFoundError(
            f"no bundled schema for {schema_id!r}; known: {', '.join(sorted(SCHEMA_IDS))}"
        ) from None
    node: Traversable | Path = _schemas_root()
    for part in rel.split("/"):
        node = node.joinpath(part)
    schema: dict[str, Any] = json.loads(node.read_bytes())
    return schema


def _check_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    DateTimeZ.parse(value)  # raises ValueError with a precise reason
    return True


_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _check_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_RE.match(value):
        raise ValueError(f"{value!r} is not a date like 2024-05-01")
    date.fromisoformat(value)
    return True


@functools.cache
def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-time", raises=ValueError)(_check_datetime)
    checker.checks("date", raises=ValueError)(_check_date)
    return checker


def _is(check: Any) -> Any:
    def test(value: object) -> bool:
        try:
            return bool(check(value))
        except ValueError:
            return False

    return test


@functools.cache
def _compiled(schema_id: str) -> Any:
    """The schema compiled to Python by fastjsonschema (about 20 times faster than walking
    it), for the verdict on a document that conforms; None when it cannot be compiled.
    Only its "valid" counts: any failure goes to jsonschema, which finds the errors (and
    decides). ``tests/test_schema_compiled.py`` holds the two to the same verdicts."""
    try:
        import fastjsonschema

        return fastjsonschema.compile(_load_schema(schema_id), use_default=False,
                                      formats=_FORMATS)
    except Exception:  # an unsupported construct: the full validator alone, then
        return None


_FORMATS: dict[str, Callable[[Any], bool]] = {
    "date-time": _is(_check_datetime), "date": _is(_check_date)}
MAX_RESIDUALS = 256
"""Document shapes whose schema residual is kept, per process (least recently used go)."""
_RESIDUALS: OrderedDict[tuple[str, ShapeKey], Residual | None] = OrderedDict()
_SIGHTINGS: OrderedDict[tuple[str, int], int] = OrderedDict()
_RESIDUALS_LOCK = threading.Lock()
_log = logging.getLogger(__name__)


def _known_residual(schema_id: str, shape: Shape) -> Residual | None:
    key = (schema_id, shape.key)
    with _RESIDUALS_LOCK:
        found = _RESIDUALS.get(key)
        if found is not None:
            _RESIDUALS.move_to_end(key)
        return found


def _learn_residual(schema_id: str, shape: Shape, doc: Mapping[str, Any],
                    checked: Any) -> None:
    """After ``checked`` (``doc`` as the schema reads it) conformed: on the shape's second
    sighting, its residual (see :mod:`mcbadge._private.schema_residual`), kept only if it
    confirms this very document."""
    key = (schema_id, shape.key)
    with _RESIDUALS_LOCK:
        if key in _RESIDUALS:
            return
        seen = (schema_id, shape.key.hash)
        count = _SIGHTINGS.pop(seen, 0) + 1
        if count < 2:
            _SIGHTINGS[seen] = count
            if len(_SIGHTINGS) > 16 * MAX_RESIDUALS:
                _SIGHTINGS.popitem(last=False)
            return
    compiled = _compiled(schema_id)
    found: Residual | None = None
    leaves: list[str] = []
    # the VC 1.1 reading renames members (and so moves leaves): such shapes have none
    if compiled is not None and type(doc) is dict and _adapt_vc1(doc)[0] is doc:
        instance = marked(checked, Leaf, leaves)
        # the compiled validator's own regular expressions (a partial of its function)
        scope = getattr(getattr(compiled, "func", compiled), "__globals__", {})
        if leaves == shape.leaves:
            found = residual(_load_schema(schema_id), instance,
                             scope.get("REGEX_PATTERNS", {}), _FORMATS)
        if found is not None and not found.holds(shape.leaves):
            _log.warning("schema residual for %s disagrees with the validator: not used",
                         schema_id)
            found = None
    with _RESIDUALS_LOCK:
        _RESIDUALS[key] = found
        while len(_RESIDUALS) > MAX_RESIDUALS:
            _RESIDUALS.popitem(last=False)


def _conforms(schema_id: str, doc: Any) -> bool:
    compiled = _compiled(schema_id)
    if compiled is None:
        return False
    try:
        compiled(doc)
    except Exception:  # JsonSchemaException and anything else: let jsonschema say
        return False
    return True


@functools.cache
def _validator(schema_id: str) -> Draft201909Validator:
    schema = _load_schema(schema_id)
    return Draft201909Validator(schema, format_checker=_format_checker())


def _schema_for(doc: Mapping[str, Any]) -> str:
    kind = doc.get("type")
    types = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    if "ClrCredential" in types:
        return CLR_CREDENTIAL
    if "EndorsementCredential" in types:
        return OB_ENDORSEMENT_CREDENTIAL
    if "OpenBadgeCredential" in types or "AchievementCredential" in types:
        return OB_ACHIEVEMENT_CREDENTIAL
    if "Profile" in types:
        return OB_PROFILE
    raise SchemaNotFoundError(
        f"cannot tell which 1EdTech schema applies to a document of type {kind!r}; "
        "pass schema_id"
    )


def _wrap_single_proofs(node: Any) -> Any:
    """``node`` with every single ``proof`` object as a one-item list (the schemas' form);
    only what changes is copied (the path to each such proof)."""
    if isinstance(node, dict):
        out = None
        for key, value in node.items():
            wrapped = _wrap_single_proofs(value) if isinstance(value, dict | list) else value
            if key == "proof" and isinstance(wrapped, dict):
                wrapped = [wrapped]
            if wrapped is not value:
                if out is None:
                    out = dict(node)
                out[key] = wrapped
        return node if out is None else out
    if isinstance(node, list):
        items = [_wrap_single_proofs(v) if isinstance(v, dict | list) else v for v in node]
        return node if all(a is b for a, b in zip(items, node, strict=True)) else items
    return node


_V1_RENAMES = {"issuanceDate": "validFrom", "expirationDate": "validUntil"}


def _adapt_vc1(
    doc: dict[str, Any], where: str = ""
) -> tuple[dict[str, Any], dict[str, str]]:
    """Read a VC 1.1 document as VC 2.0 (and so every VC 1.1 credential nested in a CLR's
    ``credentialSubject.verifiableCredential``); return it and the pointer renames to undo."""
    back: dict[str, str] = {}
    adapted = doc
    ctx = doc.get("@context")
    if isinstance(ctx, list) and ctx and ctx[0] == _VC_V1:
        adapted = dict(doc)
        adapted["@context"] = [_VC_V2, *ctx[1:]]
        for old, new in _V1_RENAMES.items():
            if old in adapted and new not in adapted:
                adapted[new] = adapted.pop(old)
                back[f"{where}/{new}"] = f"{where}/{old}"
    subject = adapted.get("credentialSubject")
    nested = subject.get("verifiableCredential") if isinstance(subject, dict) else None
    if isinstance(nested, list) and isinstance(subject, dict):
        items = []
        for i, item in enumerate(nested):
            if isinstance(item, dict):
                item, more = _adapt_vc1(item, f"{where}/credentialSubject/verifiableCredential/{i}")
                back.update(more)
            items.append(item)
        adapted = dict(adapted) if adapted is doc else adapted
        adapted["credentialSubject"] = {**subject, "verifiableCredential": items}
    return adapted, back


def _branch_score(errors: list[ValidationError]) -> tuple[bool, int, int]:
    # A branch that fails only because the value is not of its type, right where the
    # anyOf/oneOf applies (the string form of an ``issuer`` given as an object), is the
    # wrong branch; among the rest, the one that got deepest into the value is the one meant.
    type_only = all(e.validator == "type" and not e.relative_path for e in errors)
    return (not type_only, max(len(e.absolute_path) for e in errors), -len(errors))


def deepest_errors(error: ValidationError) -> list[ValidationError]:
    """The errors that say what is wrong: for an ``anyOf``/``oneOf`` failure, those of the
    branch the value was meant for (recursively), so ``/issuer/image: ... is not of type
    'object'`` rather than ``/issuer: ... is not of type 'string'``."""
    if not error.context or error.validator not in ("anyOf", "oneOf"):
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        key = sub.relative_schema_path[0] if sub.relative_schema_path else None
        branches.setdefault(key, []).append(sub)
    best = max(branches.values(), key=_branch_score)
    if not _branch_score(best)[0]:
        return [error]  # no branch matches the value's type: the anyOf's own message says so
    found: list[ValidationError] = []
    for sub in best:
        found.extend(deepest_errors(sub))
    return found


def _errors(validator: Draft201909Validator, doc: Any) -> Iterator[ValidationError]:
    for error in validator.iter_errors(doc):
        if error.context and error.validator not in ("anyOf", "oneOf"):
            error = best_match(error.context) or error
        yield from deepest_errors(error)


def validate_schema(doc: Mapping[str, Any], schema_id: str | None = None) -> list[SchemaError]:
    """Check ``doc`` against the official 1EdTech JSON Schema; return the problems found.

    An empty list means the document conforms. Each :class:`~mcbadge.errors.SchemaError`
    has a JSON ``pointer`` into ``doc`` and a ``message``. Raises
    :class:`~mcbadge.errors.SchemaNotFoundError` when no bundled schema applies.
    """
    return validate_shaped(doc, schema_id, None)


def validate_shaped(doc: Mapping[str, Any], schema_id: str | None,
                    shape: Shape | None) -> list[SchemaError]:
    """:func:`validate_schema`, given ``doc``'s shape when the caller has it (None: taken
    here). A document of a shape seen before is decided by the shape's residual when that
    confirms it."""
    if not isinstance(doc, Mapping):
        return [SchemaError("", "document must be a JSON object")]
    try:
        check_depth(doc)
    except ModelValidationError as exc:
        return [SchemaError("", exc.message)]
    target = schema_id or _schema_for(doc)
    if shape is None:
        shape = shape_of(doc)
    if shape is not None:
        known = _known_residual(target, shape)
        if known is not None and known.holds(shape.leaves):
            return []
    validator = _validator(target)
    adapted, back = _adapt_vc1(dict(doc))
    adapted = _wrap_single_proofs(adapted)
    if _conforms(target, adapted):
        if shape is not None:
            _learn_residual(target, shape, doc, adapted)
        return []
    found: dict[tuple[str, str], SchemaError] = {}
    for error in _errors(validator, adapted):
        pointer = to_pointer(error.absolute_path)
        for new, old in back.items():
            if pointer == new or pointer.startswith(new + "/"):
                pointer = old + pointer[len(new):]
                break
        message = error.message
        if error.validator == "format" and error.cause is not None:
            message = str(error.cause)
        shown = repr(error.instance)
        if len(shown) > 60 and message.startswith(shown):
            message = "value" + message[len(shown):]
        if len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 1] + "…"
        found.setdefault((pointer, message), SchemaError(pointer, message))
    return sorted(found.values(), key=lambda e: e.pointer)
