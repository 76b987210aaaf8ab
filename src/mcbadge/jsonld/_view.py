"""The signed view: after a proof holds, prove that the JSON the checks read is what the
signed graph says (the half of the plain-form rule that needs the JSON-LD expansion).

:func:`check_signed_view` refuses, with :class:`~mcbadge.errors.JsonLdFormError`:

- a key that expands to a keyword other than ``id`` -> ``@id`` and ``type`` -> ``@type``
  (an alias of ``@nest``, ``@included``, ``@graph``...), or to nothing (a null mapping:
  the value is dropped, unsigned, yet the JSON shows it);
- a key that is not a bundled term but expands to an IRI a bundled term names (an alias:
  the check reading the term would not see it);
- a blank node identifier anywhere (``_:x``: it lets one node be described in two places);
- a node that the checks read (the credential, each ``credentialSubject`` and its
  ``achievement``, each ``credentialStatus`` entry, or what the caller names) whose id is
  described elsewhere in the document too, with statements its own JSON object lacks:
  JSON-LD merges every description of one id, so the signed graph would say more about it
  than the member a check reads.

Data loss (undefined terms, relative IRIs, IRIs RDF drops) is a
:class:`~mcbadge.errors.DataLossError` from the expansion itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from mcbadge.errors import JsonLdFormError
from mcbadge.jsonld import _templates
from mcbadge.jsonld._canon import _UNKNOWN, Expansion, expansion
from mcbadge.jsonld._plain import _ptr, vocabulary

__all__ = ["CLR_READ_POINTS", "CREDENTIAL_READ_POINTS", "ReadPoint", "check_signed_view"]

ReadPoint = tuple[tuple[str, ...], frozenset[str]]

CREDENTIAL_READ_POINTS: tuple[ReadPoint, ...] = (
    ((), frozenset({"issuer", "validFrom", "validUntil", "issuanceDate", "expirationDate",
                    "credentialStatus", "credentialSubject", "credentialSchema"})),
    (("credentialSubject",), frozenset({"identifier", "achievement", "result"})),
    (("credentialSubject", "achievement"), frozenset({"resultDescription"})),
    # the results check: each result's criterion and level, each criterion's bar and levels
    (("credentialSubject", "result"), frozenset({"resultDescription", "achievedLevel"})),
    (("credentialSubject", "achievement", "resultDescription"),
     frozenset({"requiredLevel", "rubricCriterionLevel"})),
    (("credentialSubject", "achievement", "resultDescription", "rubricCriterionLevel"),
     frozenset({"points"})),
    (("credentialStatus",), frozenset({
        "statusPurpose", "statusListIndex", "statusListCredential", "statusSize"})),
)
"""The nodes of a credential whose statements the checks read (key paths from the root;
arrays on the way are walked through), each with the terms read there. Every statement the
graph makes with those terms about that node must be written in that JSON object."""

CLR_READ_POINTS: tuple[ReadPoint, ...] = (CREDENTIAL_READ_POINTS[0], CREDENTIAL_READ_POINTS[-1])
"""A CLR's: its subject is the learner, whose nodes in the nested credentials are theirs."""

_VALUE_KEYS = frozenset({"@value", "@language", "@direction"})
_ALIASES = {"id": "@id", "type": "@type"}


def _fail(path: str, message: str) -> JsonLdFormError:
    return JsonLdFormError(f"{path or '/'}: {message}", [path or "/"])


def check_signed_view(
    document: Mapping[str, Any],
    loader: Any,
    read_points: Sequence[ReadPoint] = CREDENTIAL_READ_POINTS,
    *, shape: Any = _UNKNOWN,
) -> Expansion | None:
    """Check ``document`` (without its proof) as the module doc says; return its expansion,
    or None when its shape's template already proves the verdict (no expansion made).
    ``shape``: ``document``'s (``_templates.shape_of``), when the caller has it.

    Raises JsonLdFormError or DataLossError.
    """
    from mcbadge.jsonld._canon import remembering_expansions, template_for

    vocab = vocabulary(loader)
    template, shape = template_for(document, loader, shape)
    if template is not None and _templates.view_proven(template, shape, read_points, vocab):
        return None
    with remembering_expansions():  # (a shape of None: none, the full path)
        found = expansion(document, loader, shape=shape)
    root = found.root
    if root is None:
        raise _fail("", "the document could not be read as JSON-LD")
    _check_keys(found, root, loader)
    _check_blank_nodes(found.expanded)
    checked: set[tuple[Any, ...]] = set()
    for keys, terms in read_points:
        iris = frozenset(i for t in terms for i in vocab.by_term.get(t, ()))
        for path, obj in _objects_at(root, keys):
            _check_complete(found, obj, path, iris)
            checked.add(_steps(path))
    if template is not None:
        _templates.prove_view(template, shape, read_points, vocab, checked)
    return found


def _steps(pointer: str) -> tuple[Any, ...]:
    """A JSON pointer (from :func:`_objects_at`) as path steps (keys, list indexes)."""
    if not pointer:
        return ()
    out: list[Any] = []
    for part in pointer[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        out.append(int(part) if part.isdigit() else part)
    return tuple(out)


def _check_keys(found: Expansion, root: dict[str, Any], loader: Any) -> None:
    vocab = vocabulary(loader)
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, list):
            stack.extend((item, _ptr(path, i)) for i, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        meaning = found.meaning(node)
        if meaning is None:
            continue  # a JSON literal (@json), or a value pyld does not expand as an object
        iris, _expanded = meaning
        for key, iri in iris.items():
            at = _ptr(path, key)
            if key in _VALUE_KEYS and iri == key:
                continue
            if iri is None:
                raise _fail(at, f"{key!r} is mapped to null: JSON-LD drops its value, so "
                            "nothing signs it")
            if isinstance(iri, str) and iri.startswith("@"):
                if _ALIASES.get(key) != iri:
                    raise _fail(at, f"{key!r} stands for the keyword {iri}; write the plain "
                                "compacted form")
            elif key not in vocab.terms and iri in vocab.iris:
                raise _fail(at, f"{key!r} is an alias of {iri}, which a bundled term names")
            stack.append((node[key], at))


def _check_blank_nodes(expanded: Any) -> None:
    stack: list[Any] = [expanded]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if "@value" in node:
                continue
            node_id = node.get("@id")
            if isinstance(node_id, str) and node_id.startswith("_:"):
                raise _fail("", f"blank node identifier {node_id!r}: not allowed")
            stack.extend(node.values())


def _objects_at(root: Any, keys: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
    level: list[tuple[str, Any]] = [("", root)]
    for key in keys:
        nxt: list[tuple[str, Any]] = []
        for path, node in level:
            for item_path, item in _items(path, node):
                if isinstance(item, dict) and key in item:
                    nxt.append((_ptr(item_path, key), item[key]))
        level = nxt
    for path, node in level:
        for item_path, item in _items(path, node):
            if isinstance(item, dict):
                yield item_path, item


def _items(path: str, node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield _ptr(path, i), item
    else:
        yield path, node


def _value_key(value: Any, counter: list[int]) -> Any:
    if isinstance(value, dict):
        if "@value" in value:
            return ("v", json.dumps(value, sort_keys=True))
        node_id = value.get("@id")
        if isinstance(node_id, str) and "@graph" not in value and "@list" not in value:
            return ("n", node_id)
    counter[0] += 1
    return ("u", counter[0])


def _check_complete(found: Expansion, obj: dict[str, Any], path: str,
                    iris: frozenset[str]) -> None:
    meaning = found.meaning(obj)
    if meaning is None:
        return
    _iris, expanded = meaning
    node_id = expanded.get("@id")
    if not isinstance(node_id, str) or found.descriptions(node_id) <= 1:
        return  # a blank node, or an id no other JSON object describes: all is here
    merged = found.node_map().get(node_id)
    if not isinstance(merged, dict):
        return
    for prop in iris & merged.keys():
        mine = expanded.get(prop)
        counter = [0]
        theirs = {_value_key(v, counter) for v in merged[prop]}
        ours = {_value_key(v, counter) for v in (mine or ())}
        if mine is None or len(theirs) != len(ours):
            name = prop.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            raise _fail(path, f"node {node_id} has {name} statements written elsewhere in "
                        "the document, where the checks do not read them; describe each "
                        "node's checked members in one place")
