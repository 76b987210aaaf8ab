"""Schemas a credential declares in ``credentialSchema`` that mcbadge does not bundle:
fetched through the run's Fetcher, compiled without any remote ``$ref`` retrieval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jsonschema import Draft201909Validator
from jsonschema.exceptions import SchemaError as JsonSchemaError
from referencing import Registry

from mcbadge._private.jsonutil import to_pointer
from mcbadge.errors import FetchError, SchemaError

if TYPE_CHECKING:
    from mcbadge.verification._engine import Run

MAX_ERRORS = 50


def fetched_schema_errors(doc: Mapping[str, Any], url: str, run: Run) -> list[SchemaError]:
    validator = run.fetched_schemas.get(url)
    if validator is None:
        try:
            schema = run.fetcher.get_json(url, accept="application/schema+json, application/json")
        except FetchError as exc:
            return [SchemaError("/credentialSchema", f"cannot fetch schema {url}: {exc.message}")]
        if not isinstance(schema, Mapping | bool):
            return [SchemaError("/credentialSchema", f"{url} is not a JSON Schema")]
        try:
            Draft201909Validator.check_schema(schema)
        except JsonSchemaError as exc:
            return [SchemaError("/credentialSchema", f"{url} is not a valid JSON Schema: "
                                f"{exc.message[:200]}")]
        validator = Draft201909Validator(schema, registry=Registry())
        run.fetched_schemas[url] = validator
    errors: list[SchemaError] = []
    try:
        for error in validator.iter_errors(doc):
            errors.append(SchemaError(to_pointer(error.absolute_path), error.message[:300]))
            if len(errors) >= MAX_ERRORS:
                break
    except Exception as exc:  # an unresolvable $ref, a bad pattern: the schema's fault
        return [SchemaError("/credentialSchema", f"schema {url} cannot be applied: "
                            f"{type(exc).__name__}")]
    return errors
