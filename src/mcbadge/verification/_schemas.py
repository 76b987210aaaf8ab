"""Schemas a credential declares in ``credentialSchema`` that mcbadge does not bundle:
fetched (only after the signature holds, at most :data:`MAX_FETCHED_SCHEMAS` per credential)
through the run's Fetcher, compiled without any remote ``$ref`` retrieval, and with every
``pattern`` run on RE2, a linear-time engine: a hostile schema cannot make a regular
expression backtrack for minutes. A pattern RE2 cannot compile (look-around,
back-references) makes the schema refused."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import re2
from jsonschema import Draft201909Validator, validators
from jsonschema.exceptions import SchemaError as JsonSchemaError
from jsonschema.exceptions import ValidationError
from referencing import Registry

from mcbadge._private.jsonutil import to_pointer
from mcbadge.errors import FetchError, SchemaError
from mcbadge.models.schema import deepest_errors

if TYPE_CHECKING:
    from mcbadge.verification._state import Run

MAX_ERRORS = 50
MAX_FETCHED_SCHEMAS = 4
"""Most not-bundled schemas one credential may make the verifier fetch."""


class PatternRefusedError(ValueError):
    """A schema pattern that the linear-time engine cannot run."""


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        raise PatternRefusedError(f"pattern {pattern[:80]!r} cannot run in linear time "
                             f"({exc!s:.80})") from None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any
             ) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance[:80]!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, properties: Mapping[str, Any], instance: Any,
                        schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in properties.items():
        compiled = _compiled(pattern)
        for key, value in instance.items():
            if compiled.search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


LinearValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft201909Validator, {"pattern": _pattern, "patternProperties": _pattern_properties})
"""Draft 2019-09 with ``pattern`` and ``patternProperties`` on RE2."""


def _all_patterns(schema: Any) -> Iterator[str]:
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if isinstance(node.get("pattern"), str):
                yield node["pattern"]
            if isinstance(node.get("patternProperties"), Mapping):
                yield from (k for k in node["patternProperties"] if isinstance(k, str))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def fetched_schema_errors(doc: Mapping[str, Any], url: str, run: Run) -> list[SchemaError]:
    validator = run.fetched_schemas.get(url)
    if validator is None:
        if len(run.fetched_schemas) >= MAX_FETCHED_SCHEMAS:
            return [SchemaError("/credentialSchema", f"not fetching {url}: at most "
                                f"{MAX_FETCHED_SCHEMAS} schemas are fetched per credential")]
        try:
            run.check_deadline(f"schema {url} could be fetched")
            schema = run.fetcher.get_json(url, accept="application/schema+json, application/json")
        except FetchError as exc:
            return [SchemaError("/credentialSchema", f"cannot fetch schema {url}: {exc.message}")]
        if not isinstance(schema, Mapping | bool):
            return [SchemaError("/credentialSchema", f"{url} is not a JSON Schema")]
        try:
            LinearValidator.check_schema(schema)
            for pattern in _all_patterns(schema):
                _compiled(pattern)
        except JsonSchemaError as exc:
            return [SchemaError("/credentialSchema", f"{url} is not a valid JSON Schema: "
                                f"{exc.message[:200]}")]
        except PatternRefusedError as exc:
            return [SchemaError("/credentialSchema", f"schema {url} refused: {exc}")]
        validator = LinearValidator(schema, registry=Registry())
        run.fetched_schemas[url] = validator
    errors: list[SchemaError] = []
    try:
        for found in validator.iter_errors(doc):
            for error in deepest_errors(found):
                errors.append(SchemaError(to_pointer(error.absolute_path), error.message[:300]))
            if len(errors) >= MAX_ERRORS:
                del errors[MAX_ERRORS:]
                break
    except Exception as exc:  # an unresolvable $ref, a bad pattern: the schema's fault
        return [SchemaError("/credentialSchema", f"schema {url} cannot be applied: "
                            f"{type(exc).__name__}")]
    return errors
