"""A JSON Schema's verdict on one document shape, as a test of its leaf strings.

Badges of one shape (``jsonld._templates.Shape``: members, nesting, numbers, booleans, types
and contexts fixed; leaf strings free) differ only in those strings, so what the schema says
about such a badge is a boolean formula over them: ``validFrom`` is a date-time, ``type``
holds ``OpenBadgeCredential`` (fixed by the shape: decided once), an ``issuer`` object
needs an ``id`` (fixed: decided once), ... :func:`residual` evaluates the schema once on the
shape, deciding every keyword the shape fixes and keeping, for each leaf, only the string
keywords that reach it (``pattern``, ``format``, ``enum``, ``const``, ``minLength``,
``maxLength``), combined as the schema combines them (``allOf``/``anyOf``/``oneOf``/``not``).

It mirrors the compiled validator (fastjsonschema's draft 2019-09 generator, which is what
``models.schema._conforms`` runs) keyword by keyword, with its regular expressions and
format functions. A keyword it does not model, on a node it cannot decide, makes the shape
unsupported (no residual: the full validator runs). A residual only ever confirms: when it
fails, or a format function raises, the full validator decides.
``tests/test_schema_residual.py`` holds residual and compiled validator to the same verdict
on generated and mutated badges.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Formula = Any
"""True, False, ``("leaf", index, test)``, ``("and" | "or" | "one", parts)``,
``("not", part)``."""

_ANNOTATIONS = frozenset({
    "description", "title", "$comment", "examples", "default", "$schema", "$id", "$defs",
    "definitions", "deprecated", "readOnly", "writeOnly", "$anchor",
})
_STRING_KEYWORDS = frozenset({"pattern", "format", "enum", "const", "minLength", "maxLength"})
_APPLICATORS = frozenset({"allOf", "anyOf", "oneOf", "not", "$ref"})
_OBJECT_KEYWORDS = frozenset({"properties", "required", "additionalProperties",
                              "propertyNames"})
_ARRAY_KEYWORDS = frozenset({"items", "additionalItems", "contains", "minItems", "maxItems"})
_KNOWN = _ANNOTATIONS | _STRING_KEYWORDS | _APPLICATORS | _OBJECT_KEYWORDS | \
    _ARRAY_KEYWORDS | {"type"}
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "null": (type(None),), "boolean": (bool,), "integer": (int,), "number": (int, float),
    "string": (str,), "array": (list, tuple), "object": (dict,),
}
_DOLLAR = re.compile(r"(?<!\\)\$")  # fastjsonschema's DOLLAR_FINDER: `$` means end of text


class UnsupportedError(Exception):
    """The shape meets a keyword (or a use of one) the residual does not model."""


class Leaf:
    """Where the shape's ``index``-th leaf string sits in the instance being evaluated."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class Residual:
    """What a document of the shape must meet: ``tests`` (leaf index, test) all hold and
    every formula of ``rest`` is true."""

    __slots__ = ("rest", "tests")

    def __init__(self, formula: Formula) -> None:
        parts = formula[1] if isinstance(formula, tuple) and formula[0] == "and" else (formula,)
        self.tests = tuple((p[1], p[2]) for p in parts
                           if isinstance(p, tuple) and p[0] == "leaf")
        self.rest = tuple(p for p in parts if not (isinstance(p, tuple) and p[0] == "leaf"))

    def holds(self, leaves: Sequence[str]) -> bool:
        """Whether the document with these leaf strings conforms (False: ask the validator;
        a test that raises counts as False)."""
        try:
            for index, test in self.tests:
                if not test(leaves[index]):
                    return False
            return all(_evaluate(part, leaves) for part in self.rest)
        except Exception:  # a format function's own failure: the full validator decides
            return False


def _evaluate(formula: Formula, leaves: Sequence[str]) -> bool:
    if formula is True or formula is False:
        return bool(formula)
    op = formula[0]
    if op == "leaf":
        return bool(formula[2](leaves[formula[1]]))
    if op == "and":
        return all(_evaluate(p, leaves) for p in formula[1])
    if op == "or":
        return any(_evaluate(p, leaves) for p in formula[1])
    if op == "one":
        return sum(1 for p in formula[1] if _evaluate(p, leaves)) == 1
    return not _evaluate(formula[1], leaves)  # "not"


def _all(parts: list[Formula]) -> Formula:
    kept: list[Formula] = []
    for part in parts:
        if part is False:
            return False
        if part is True:
            continue
        if isinstance(part, tuple) and part[0] == "and":
            kept.extend(part[1])
        else:
            kept.append(part)
    return True if not kept else kept[0] if len(kept) == 1 else ("and", tuple(kept))


def _any(parts: list[Formula]) -> Formula:
    kept = [p for p in parts if p is not False]
    if any(p is True for p in kept):
        return True
    return False if not kept else kept[0] if len(kept) == 1 else ("or", tuple(kept))


def _one(parts: list[Formula]) -> Formula:
    sure = sum(1 for p in parts if p is True)
    open_ = [p for p in parts if p is not True and p is not False]
    if sure > 1:
        return False
    if sure == 1:
        return _all([_not(p) for p in open_])
    return False if not open_ else open_[0] if len(open_) == 1 else ("one", tuple(open_))


def _not(part: Formula) -> Formula:
    if part is True or part is False:
        return not part
    if part[0] == "not":
        return part[1]
    return ("not", part)


class _Evaluator:
    def __init__(self, root: Mapping[str, Any], regexes: Mapping[str, re.Pattern[str]],
                 formats: Mapping[str, Callable[[str], bool]]) -> None:
        self.root = root
        self.regexes = regexes
        self.formats = formats
        self.leafy: dict[int, bool] = {}
        self.tests: dict[tuple[str, str], Callable[[str], bool]] = {}

    # -- helpers -------------------------------------------------------------------

    def has_leaf(self, node: Any) -> bool:
        if type(node) is Leaf:
            return True
        if not isinstance(node, dict | list):
            return False
        known = self.leafy.get(id(node))
        if known is None:
            values = node.values() if isinstance(node, dict) else node
            known = any(self.has_leaf(v) for v in values)
            self.leafy[id(node)] = known
        return known

    def resolve(self, ref: str) -> Any:
        # fastjsonschema, compiling the schema, writes its refs out against the $id
        base, _, pointer = ref.partition("#")
        if base not in ("", self.root.get("$id")):
            raise UnsupportedError(f"a $ref outside the schema: {ref!r}")
        node: Any = self.root
        for part in pointer.split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise UnsupportedError(f"an unresolvable $ref: {ref!r}")
            node = node[part]
        return node

    def regex(self, pattern: str) -> re.Pattern[str]:
        found = self.regexes.get(pattern)
        return found if found is not None else re.compile(_DOLLAR.sub(r"\\Z", pattern))

    # -- string keywords: a test of a leaf, or decided for a fixed string -------------

    def string_test(self, keyword: str, value: Any) -> Callable[[str], bool]:
        if keyword == "pattern":
            if not isinstance(value, str):
                raise UnsupportedError("a pattern that is not a string")
            search = self.regex(value).search
            return lambda s: search(s) is not None
        if keyword == "format":
            check = self.formats.get(value) if isinstance(value, str) else None
            if check is None:
                raise UnsupportedError(f"format {value!r}")
            return check
        if keyword in ("enum", "const"):
            members = value if keyword == "enum" else [value]
            if not isinstance(members, list):
                raise UnsupportedError("an enum that is not an array")
            allowed = frozenset(m for m in members if isinstance(m, str))
            return allowed.__contains__
        if keyword in ("minLength", "maxLength"):
            if type(value) is not int:
                raise UnsupportedError(f"a {keyword} that is not an integer")
            if keyword == "minLength":
                return lambda s: len(s) >= value
            return lambda s: len(s) <= value
        raise UnsupportedError(keyword)

    # -- fixed values --------------------------------------------------------------

    def fixed(self, keyword: str, value: Any, node: Any) -> bool:
        """A keyword on a value the shape fixes (a number, a type, a key, a context)."""
        if keyword == "type":
            types = value if isinstance(value, list) else [value]
            if any(t not in _PY_TYPES for t in types):
                raise UnsupportedError(f"type {value!r}")
            allowed = tuple(c for t in types for c in _PY_TYPES[t])
            ok = isinstance(node, allowed) or ("integer" in types and isinstance(node, float)
                                               and node.is_integer())
            if ("number" in types or "integer" in types) and "boolean" not in types and \
                    isinstance(node, bool):
                ok = False
            return ok
        if keyword in ("enum", "const"):
            members = value if keyword == "enum" else [value]
            if not isinstance(members, list) or any(isinstance(m, dict | list)
                                                    for m in members):
                raise UnsupportedError(f"an {keyword} of objects or arrays")
            return any(_same(node, m) for m in members)
        if keyword in _STRING_KEYWORDS:
            return not isinstance(node, str) or bool(self.string_test(keyword, value)(node))
        raise UnsupportedError(keyword)

    # -- the walk ------------------------------------------------------------------

    def formula(self, schema: Any, node: Any) -> Formula:
        if schema is True or schema is False:
            return schema
        if not isinstance(schema, Mapping):
            raise UnsupportedError("a schema that is not an object or a boolean")
        if "$ref" in schema:  # fastjsonschema: $ref alone counts (siblings are annotations)
            if any(k not in _ANNOTATIONS and k != "$ref" for k in schema):
                raise UnsupportedError("a $ref beside other keywords")
            ref = schema["$ref"]
            if not isinstance(ref, str):
                raise UnsupportedError("a $ref that is not a string")
            return self.formula(self.resolve(ref), node)
        parts: list[Formula] = []
        leaf = type(node) is Leaf
        for keyword, value in schema.items():
            if keyword not in _KNOWN:
                raise UnsupportedError(keyword)
            if keyword in _ANNOTATIONS:
                continue
            if keyword == "allOf":
                parts.append(_all([self.formula(s, node) for s in _schemas(value)]))
            elif keyword == "anyOf":
                parts.append(_any([self.formula(s, node) for s in _schemas(value)]))
            elif keyword == "oneOf":
                parts.append(_one([self.formula(s, node) for s in _schemas(value)]))
            elif keyword == "not":
                parts.append(_not(self.formula(value, node)))
            elif leaf:
                if keyword == "type":
                    types = value if isinstance(value, list) else [value]
                    parts.append("string" in types)
                elif keyword in _STRING_KEYWORDS:
                    test = self.tests.get((keyword, repr(value)))
                    if test is None:
                        test = self.tests[(keyword, repr(value))] = \
                            self.string_test(keyword, value)
                    parts.append(("leaf", node.index, test))
                # object and array keywords do not apply to a string
            elif isinstance(node, dict) and keyword in _OBJECT_KEYWORDS:
                parts.append(self.object_keyword(keyword, value, schema, node))
            elif isinstance(node, list) and keyword in _ARRAY_KEYWORDS:
                parts.append(self.array_keyword(keyword, value, schema, node))
            elif keyword in _OBJECT_KEYWORDS or keyword in _ARRAY_KEYWORDS:
                continue  # not this node's kind
            else:
                parts.append(self.fixed(keyword, value, node))
            if parts and parts[-1] is False:
                return False
        return _all(parts)

    def object_keyword(self, keyword: str, value: Any, schema: Mapping[str, Any],
                       node: dict[str, Any]) -> Formula:
        if keyword == "required":
            if not isinstance(value, list):
                raise UnsupportedError("required that is not an array")
            return all(k in node for k in value)
        if keyword == "properties":
            if not isinstance(value, Mapping):
                raise UnsupportedError("properties that is not an object")
            return _all([self.formula(sub, node[k]) for k, sub in value.items() if k in node])
        if keyword == "additionalProperties":
            named = schema.get("properties", {})
            extra = [k for k in node if k not in named]
            if value is True or value == {}:
                return True
            if value is False:
                return not extra
            return _all([self.formula(value, node[k]) for k in extra])
        # propertyNames: the names are fixed
        return _all([self.formula(value, key) for key in node])

    def array_keyword(self, keyword: str, value: Any, schema: Mapping[str, Any],
                      node: list[Any]) -> Formula:
        if keyword in ("minItems", "maxItems"):
            if type(value) is not int:
                raise UnsupportedError(f"a {keyword} that is not an integer")
            return len(node) >= value if keyword == "minItems" else len(node) <= value
        if keyword == "contains":
            return _any([self.formula(value, item) for item in node])
        if keyword == "items":
            if isinstance(value, list):
                parts = [self.formula(sub, item) for sub, item in zip(value, node, strict=False)]
                more = schema.get("additionalItems", True)
                if len(node) > len(value):
                    if more is False:
                        return False
                    parts += [self.formula(more, item) for item in node[len(value):]]
                return _all(parts)
            return _all([self.formula(value, item) for item in node])
        return True  # additionalItems: read with items


def _schemas(value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise UnsupportedError("a combinator that is not a non-empty array")
    return value


def _same(node: Any, member: Any) -> bool:
    """fastjsonschema's enum/const match on a fixed value."""
    if isinstance(member, bool):
        return isinstance(node, bool) and node is member
    if isinstance(member, int | float):
        return isinstance(node, int | float) and not isinstance(node, bool) and node == member
    if member is None:
        return node is None
    if isinstance(member, str):
        return isinstance(node, str) and node == member
    raise UnsupportedError("an enum member that is not JSON")


def residual(schema: Mapping[str, Any], instance: Any,
             regexes: Mapping[str, re.Pattern[str]],
             formats: Mapping[str, Callable[[str], bool]]) -> Residual | None:
    """The residual of ``schema`` on ``instance`` (a document whose leaf strings are
    :class:`Leaf` markers); None when the shape meets something not modelled."""
    try:
        return Residual(_Evaluator(schema, regexes, formats).formula(schema, instance))
    except Exception:  # Unsupported, or a schema too odd to model: the validator decides
        return None
