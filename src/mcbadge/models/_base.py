"""The machinery every model shares: JSON-exact round trips, parse vs build, DateTimeZ."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapSerializer,
    WrapValidator,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from mcbadge._private.jsonutil import (
    check_depth,
    loads_strict,
    loc_to_pointer,
    merge_field_errors,
)
from mcbadge.errors import FieldError, ModelValidationError

T = TypeVar("T")

_BUILDING: ContextVar[bool] = ContextVar("mcbadge_building_model", default=False)
"""True while ``Model(...)`` validates, for every model nested in it: the model is being
built in code, so defaults may fill gaps (the models' parse step reads it)."""

_DATETIME_RE = re.compile(
    r"(?P<date>-?\d{4,}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}:\d{2})(?P<frac>\.\d+)?"
    r"(?P<tz>[Zz]|[+-]\d{2}:\d{2})\Z"
)
_NAIVE_RE = re.compile(r"-?\d{4,}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\Z")


class DateTimeZ(datetime):
    """A timestamp that always carries a time zone, as OB 3.0's ``DateTimeZ`` requires.

    It is a real :class:`datetime.datetime` (compare it, subtract it) that also remembers the
    exact text it was parsed from, so a document round-trips unchanged. A timestamp without
    an offset (``2024-01-01T00:00:00``) is rejected.
    """

    __slots__ = ("_lexical",)
    _lexical: str

    @classmethod
    def parse(cls, text: str) -> DateTimeZ:
        """Parse an XML Schema / RFC 3339 date-time that has a ``Z`` or ``±hh:mm`` offset.
        (A text parsed lately gives the same object again: a DateTimeZ never changes, and a
        verification reads each of a badge's dates in its schema, its model and its
        checks.)"""
        if cls is DateTimeZ and type(text) is str:
            return _parse_remembered(text)
        return cls._parse(text)

    @classmethod
    def _parse(cls, text: str) -> DateTimeZ:
        m = _DATETIME_RE.match(text)
        if m is None:
            if _NAIVE_RE.match(text):
                raise ValueError(
                    f"timestamp {text!r} has no time zone; add 'Z' for UTC or an offset "
                    "such as '+02:00'"
                )
            raise ValueError(f"{text!r} is not a date-time like 2024-05-01T12:00:00Z")
        frac = (m["frac"] or "")[:7]  # datetime keeps microseconds: '.' + 6 digits
        tz = "+00:00" if m["tz"] in "Zz" else m["tz"]
        try:  # (made as this class at once: fromisoformat is a class method)
            obj = cls.fromisoformat(f"{m['date']}T{m['time']}{frac}{tz}")
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a valid date-time: {exc}") from None
        obj._lexical = text
        return obj

    @classmethod
    def from_datetime(cls, value: datetime) -> DateTimeZ:
        """Wrap an aware :class:`datetime`; a naive one is rejected."""
        if isinstance(value, DateTimeZ):
            return value
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                "datetime has no time zone; use an aware datetime such as "
                "datetime.now(timezone.utc)"
            )
        return cls._with_lexical(value, _format(value))

    @classmethod
    def now(cls, tz: Any = None) -> DateTimeZ:
        """The current time in UTC, to the second."""
        return cls.from_datetime(datetime.now(tz or UTC).replace(microsecond=0))

    @classmethod
    def _with_lexical(cls, base: datetime, lexical: str) -> DateTimeZ:
        obj = cls(
            base.year, base.month, base.day, base.hour, base.minute, base.second,
            base.microsecond, base.tzinfo, fold=base.fold,
        )
        obj._lexical = lexical
        return obj

    @property
    def lexical(self) -> str:
        """The text form: exactly as parsed, or ISO 8601 with 'Z' for UTC."""
        try:
            return self._lexical
        except AttributeError:  # made by datetime arithmetic
            return _format(self)

    def __str__(self) -> str:
        return self.lexical

    def __reduce__(self) -> Any:
        return (DateTimeZ.parse, (self.lexical,))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_datetimez,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda v: v.lexical if isinstance(v, DateTimeZ) else _format(v),
                return_schema=core_schema.str_schema(),
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "date-time"}


@functools.lru_cache(maxsize=4096)
def _parse_remembered(text: str) -> DateTimeZ:
    return DateTimeZ._parse(text)


def _format(value: datetime) -> str:
    offset = value.utcoffset()
    text = value.replace(tzinfo=None).isoformat()
    if offset == timedelta(0):
        return text + "Z"
    return value.isoformat()


def _validate_datetimez(value: Any) -> DateTimeZ:
    try:
        if isinstance(value, str):
            return DateTimeZ.parse(value)
        if isinstance(value, datetime):
            return DateTimeZ.from_datetime(value)
    except ValueError as exc:
        raise PydanticCustomError("datetimez", "{reason}", {"reason": str(exc)}) from None
    raise PydanticCustomError(
        "datetimez", "expected a date-time string with a time zone, got {kind}",
        {"kind": type(value).__name__},
    )


class _Singular(list[Any]):
    """A list that was a single JSON value in the input; it is written back as one."""

    __slots__ = ()


def _one_or_many_validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    if type(value) is list or isinstance(value, list | tuple):
        return handler(list(value))
    return _Singular(handler([value]))


def _one_or_many_serialize(value: Any, handler: SerializerFunctionWrapHandler) -> Any:
    out = handler(value)
    if isinstance(value, _Singular) and isinstance(out, list) and len(out) == 1:
        return out[0]
    return out


def single(value: T) -> list[T]:
    """A one-element list written back as a single JSON value (for OneOrMany fields)."""
    return _Singular([value])


OneOrMany = Annotated[
    list[T],
    WrapValidator(_one_or_many_validate),
    WrapSerializer(_one_or_many_serialize),
]
"""A list that also accepts a single value (JSON-LD compacted form) and writes it back so."""


_KEY_ORDER = "_key_order"


class OBModel(BaseModel):
    """Base of every Open Badges model.

    - JSON names are camelCase (``validFrom``); Python names are snake_case (``valid_from``);
      either works as a keyword argument.
    - Unknown properties are kept, in their input order, and written back unchanged.
    - ``None`` values of known fields are omitted on output, as the spec requires.
    - Built in code (``Model(...)``), missing ids, types and contexts get sensible defaults;
      parsed from a document (:meth:`from_dict`, :meth:`from_json`, ``model_validate``), a
      member the spec requires must be present.
    """

    model_config = ConfigDict(
        extra="allow",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        arbitrary_types_allowed=False,
        defer_build=True,
    )

    # The input's own member names, in order, are kept in ``__pydantic_private__`` (set by
    # the parse below; None for a model built in code): a declared PrivateAttr would make
    # pydantic run its private-attribute set-up on every instance, at every class level.

    # JSON members that must be present in a parsed document even though the model can
    # default them when built in code.
    _required_when_parsed: ClassVar[tuple[str, ...]] = ()

    def __init__(self, /, **data: Any) -> None:
        token = _BUILDING.set(True)
        try:
            self.__pydantic_validator__.validate_python(data, self_instance=self)
        except ValidationError as exc:
            raise _to_model_error(type(self).__name__, data, exc) from None
        finally:
            _BUILDING.reset(token)

    # Tell pydantic this __init__ is a plain one: nested models are then validated directly
    # (with the caller's context) instead of through __init__ (which would set _BUILDING).
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    # -- parsing ---------------------------------------------------------------------

    @model_validator(mode="wrap")
    @classmethod
    def _parse_and_remember_order(cls, data: Any, handler: ValidatorFunctionWrapHandler
                                  ) -> Any:
        # (no ValidationInfo asked for: pydantic then makes none, once per nested model)
        building = _BUILDING.get()
        mapping = type(data) is dict or isinstance(data, Mapping)
        if mapping:
            if not building:
                for required in cls._required_when_parsed:
                    if data.get(required) is None:
                        missing = [k for k in cls._required_when_parsed if data.get(k) is None]
                        raise PydanticCustomError(
                            "missing_member",
                            "required member(s) missing: {names}",
                            {"names": ", ".join(repr(m) for m in missing)},
                        )
            else:
                data = cls._build_defaults(dict(data))
        obj = handler(data)
        if not building and mapping and isinstance(obj, OBModel):
            # the input's own names, in order (mapped to aliases when written back)
            object.__setattr__(obj, "__pydantic_private__", {_KEY_ORDER: tuple(data)})
        return obj

    @classmethod
    def _build_defaults(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Fill defaults that apply only when a model is built in code."""
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Parse a JSON object (already decoded). Raises ModelValidationError."""
        if not isinstance(data, Mapping):
            raise ModelValidationError(
                f"expected a JSON object for {cls.__name__}, got {_json_kind(data)}"
            )
        check_depth(data)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _to_model_error(cls.__name__, data, exc) from None
        except RecursionError:
            raise ModelValidationError("document is nested too deeply") from None

    @classmethod
    def from_json(cls, text: str | bytes | bytearray) -> Self:
        """Parse JSON text. Raises ModelValidationError, whatever the input."""
        return cls.from_dict(loads_strict(text))

    # -- output ----------------------------------------------------------------------

    @model_serializer(mode="wrap")
    def _serialize(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> Any:
        out = handler(self)
        if not isinstance(out, dict):
            return out
        known = _known_keys(type(self))
        for key in [k for k, v in out.items() if v is None and k in known]:
            del out[key]
        private = self.__pydantic_private__
        order = private.get(_KEY_ORDER) if private else None
        if order:
            aliases = _aliases(type(self))
            order = tuple(aliases.get(str(k), str(k)) for k in order)
            ordered = {k: out[k] for k in order if k in out}
            if len(ordered) != len(out):
                ordered.update((k, v) for k, v in out.items() if k not in ordered)
            out = ordered
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON object for this model (camelCase names, no nulls, unknowns kept)."""
        out: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        return out

    def to_json(self, *, indent: int | None = None) -> str:
        """The JSON text for this model (UTF-8 characters kept as they are)."""
        import json

        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def __eq__(self, other: object) -> bool:
        """Two models are equal when they are the same class and write the same JSON."""
        if not isinstance(other, OBModel):
            return NotImplemented
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    @property
    def extra(self) -> dict[str, Any]:
        """Properties this model does not define (extensions), as parsed."""
        return dict(self.__pydantic_extra__ or {})


def _aliases(cls: type[BaseModel]) -> dict[str, str]:
    cached: dict[str, str] | None = cls.__dict__.get("_mcbadge_aliases")
    if cached is None:
        cached = {name: (f.alias or name) for name, f in cls.model_fields.items()}
        cls._mcbadge_aliases = cached  # type: ignore[attr-defined]
    return cached


def _known_keys(cls: type[BaseModel]) -> frozenset[str]:
    cached: frozenset[str] | None = cls.__dict__.get("_mcbadge_known")
    if cached is None:
        aliases = _aliases(cls)
        cached = frozenset(aliases) | frozenset(aliases.values())
        cls._mcbadge_known = cached  # type: ignore[attr-defined]
    return cached


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__


_TYPE_MISMATCH = frozenset(
    {"string_type", "model_type", "model_attributes_type", "dict_type", "list_type",
     "int_type", "float_type", "bool_type", "literal_error", "union_tag_invalid"}
)


def _to_model_error(name: str, data: object, exc: ValidationError) -> ModelValidationError:
    """Turn pydantic's errors into FieldErrors with JSON pointers into the input.

    When a union member matched the input's JSON kind and failed on content, the other
    members' "expected another kind" errors at the same place are noise and are dropped.
    """
    precise: list[FieldError] = []
    mismatches: list[FieldError] = []
    for err in exc.errors(include_url=False, include_input=False):
        pointer = loc_to_pointer(data, err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        (mismatches if err["type"] in _TYPE_MISMATCH else precise).append(
            FieldError(pointer, message)
        )
    def covered(pointer: str) -> bool:
        return any(e.pointer == pointer or e.pointer.startswith(pointer + "/") for e in precise)

    errors = precise + [e for e in mismatches if not covered(e.pointer)]
    errors.sort(key=lambda e: e.pointer)
    return ModelValidationError(f"not a valid {name}", merge_field_errors(errors))


def has_type(value: str | list[str] | None, *markers: str) -> bool:
    """Whether a ``type`` value names any of ``markers``."""
    if value is None:
        return False
    names = [value] if isinstance(value, str) else value
    return any(m in names for m in markers)


def require_type(value: list[str], *markers: str, where: str) -> list[str]:
    if not has_type(value, *markers):
        want = " or ".join(repr(m) for m in markers)
        raise ValueError(f"{where} 'type' must include {want}, got {list(value)!r}")
    return value

