"""Verification policies: what a verifier requires beyond "the credential is what it says".

Policies are small objects that check themselves against the verified credential; combine
them with :class:`AllOf` (or ``&``) and :class:`AnyOf` (or ``|``):

```python
from mcbadge.verification.policy import AllOf, MaxAge, RequireStatus, TrustedIssuers

policy = TrustedIssuers(registry="trusted-issuers.json") & RequireStatus() & MaxAge(days=365)
result = mcbadge.verify(badge, policy=policy)
print(result.check("policy"))        # each policy's outcome is in its details
```

Policies that check (their outcome is the ``policy`` check, reported last):

| policy | holds when | problem |
| --- | --- | --- |
| ``TrustedIssuers(ids, registry=path)`` | the issuer is listed | ``ISSUER_NOT_REGISTERED`` |
| ``RequireStatus(*purposes)`` | an entry per purpose (default revocation) | ``POLICY_VIOLATION`` |
| ``MaxAge(...)`` | ``validFrom`` is no older than this | ``POLICY_VIOLATION`` |
| ``AllOf(*p)`` | every ``p`` holds; ``AllOf()`` of nothing never holds | |
| ``AnyOf(*p)`` | at least one ``p`` holds; ``AnyOf()`` never holds | |

Policies that set how checks judge (they go in ``AllOf``, not in ``AnyOf``):

| policy | effect |
| --- | --- |
| ``AllowedSuites(*names)`` | only proofs in these suites count (``valid_signature``) |
| ``ClockSkew(seconds)`` | tolerance for ``validFrom``/``validUntil`` (default 300 s) |
| ``StrictStatusListLength()`` | a status list under 131,072 bits fails instead of warning |
| ``AnyCredentialType()`` | a plain VC (not OB/CLR) is judged by VC Data Model 2.0 rules |

Every lenient mode says ``Unsafe`` in its name, because each can report as verified a badge
that is not what it claims:

- ``UnsafeStatusUnreachable()``: an unfetchable (or unsupported) status list is a warning,
  so a revoked badge passes while its list is down.
- ``UnsafeUnconfirmedKeys()``: a key that the issuer's profile or DID document could not be
  fetched to confirm is a warning, so anyone can sign as an https issuer whose site is down.
- ``UnsafeUnboundIssuer()``: an issuer id that no key can be bound to (``urn:uuid:...``) is
  a warning, so anyone can sign as that issuer.

:data:`UNSAFE_VALIDATOR_COMPATIBLE` is all three, which is how the official 1EdTech validator
judges. Several policies of one kind tighten each other: ``AllowedSuites`` intersect, the
smallest ``ClockSkew`` wins.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mcbadge.errors import MCBadgeError

__all__ = [
    "UNSAFE_VALIDATOR_COMPATIBLE",
    "AllOf",
    "AllowedSuites",
    "AnyCredentialType",
    "AnyOf",
    "ClockSkew",
    "Facts",
    "MaxAge",
    "Policy",
    "PolicyError",
    "PolicyFailure",
    "RequireStatus",
    "Settings",
    "StrictStatusListLength",
    "TrustedIssuers",
    "UnsafeStatusUnreachable",
    "UnsafeUnboundIssuer",
    "UnsafeUnconfirmedKeys",
    "load_trust_registry",
]


class PolicyError(MCBadgeError, ValueError):
    """A policy is malformed (an unreadable trust registry, a setting inside AnyOf...)."""

    code = "POLICY_ERROR"


@dataclass
class Settings:
    """How the checks judge, as the policies of one verification set it."""

    clock_skew: timedelta = timedelta(seconds=300)
    clock_skew_set: bool = False
    allowed_suites: frozenset[str] | None = None
    unsafe_status_unreachable: bool = False
    strict_status_list_length: bool = False
    unsafe_unconfirmed_keys: bool = False
    unsafe_unbound_issuer: bool = False
    any_credential_type: bool = False
    trusted_issuers: list[frozenset[str]] = field(default_factory=list)
    """Informational: the registries in force (the policy check decides)."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What the policies check: read from the verified view of the credential."""

    document: Mapping[str, Any]
    issuer: str | None
    valid_from: datetime | None
    status_purposes: frozenset[str]
    suites: tuple[str, ...]
    now: datetime


@dataclass(frozen=True, slots=True)
class PolicyFailure:
    """Why a policy does not hold."""

    message: str
    problem: str = "POLICY_VIOLATION"


class Policy:
    """Base class. A policy checks :class:`Facts` (:meth:`check`: None when it holds) and
    may set how the checks judge (:meth:`configure`). Combine with ``&`` and ``|``."""

    sets_only = False
    """True for policies that only configure (they hold trivially, so AnyOf refuses them)."""

    def configure(self, settings: Settings) -> None:
        """Adjust the checks' settings (most policies do nothing here)."""

    def check(self, facts: Facts) -> PolicyFailure | None:
        """None when the policy holds for ``facts``, else why not."""
        return None

    def describe(self) -> str:
        return repr(self)

    def settings(self) -> Settings:
        out = Settings()
        self.configure(out)
        return out

    def __and__(self, other: Policy) -> AllOf:
        left = self.policies if isinstance(self, AllOf) else (self,)
        right = other.policies if isinstance(other, AllOf) else (other,)
        return AllOf(*left, *right)

    def __or__(self, other: Policy) -> AnyOf:
        left = self.policies if isinstance(self, AnyOf) else (self,)
        right = other.policies if isinstance(other, AnyOf) else (other,)
        return AnyOf(*left, *right)


class AllOf(Policy):
    """Every policy given must hold. ``AllOf()`` of nothing never holds."""

    def __init__(self, *policies: Policy) -> None:
        for policy in policies:
            if not isinstance(policy, Policy):
                raise PolicyError(f"AllOf takes policies, not {type(policy).__name__}")
        self.policies = policies

    def configure(self, settings: Settings) -> None:
        for policy in self.policies:
            policy.configure(settings)

    def check(self, facts: Facts) -> PolicyFailure | None:
        if not self.policies:
            return PolicyFailure("the policy is AllOf() of nothing; refusing to pass vacuously")
        for policy in self.policies:
            failure = policy.check(facts)
            if failure is not None:
                return failure
        return None

    def __repr__(self) -> str:
        return f"AllOf({', '.join(map(repr, self.policies))})"


class AnyOf(Policy):
    """At least one of the policies given must hold. ``AnyOf()`` never holds."""

    def __init__(self, *policies: Policy) -> None:
        for policy in policies:
            if not isinstance(policy, Policy):
                raise PolicyError(f"AnyOf takes policies, not {type(policy).__name__}")
            if policy.sets_only:
                raise PolicyError(f"{policy!r} only configures the checks; put it in AllOf, "
                                  "not AnyOf")
        self.policies = policies

    def check(self, facts: Facts) -> PolicyFailure | None:
        if not self.policies:
            return PolicyFailure("the policy is AnyOf() of nothing; refusing to pass vacuously")
        failures = []
        for policy in self.policies:
            failure = policy.check(facts)
            if failure is None:
                return None
            failures.append(failure)
        return PolicyFailure("none of the alternatives holds: "
                             + "; ".join(f.message for f in failures), failures[0].problem)

    def configure(self, settings: Settings) -> None:
        for policy in self.policies:  # only policies that check; a nested AllOf may set
            policy.configure(settings)

    def __repr__(self) -> str:
        return f"AnyOf({', '.join(map(repr, self.policies))})"


def load_trust_registry(path: str | os.PathLike[str]) -> frozenset[str]:
    """Issuer ids from a registry file: a JSON list of ids or of ``{"id": ...}`` objects, a
    JSON object with such a list under ``issuers``, or plain text with one id per line
    (lines starting with ``#`` are comments)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read trust registry {os.fspath(path)!r}: {exc}") from None
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PolicyError(f"trust registry {os.fspath(path)!r} is not JSON: {exc}") from None
        entries = data.get("issuers") if isinstance(data, dict) else data
        if not isinstance(entries, list):
            raise PolicyError(
                "a JSON trust registry is a list of issuer ids (or {'issuers': [...]})")
        ids: set[str] = set()
        for entry in entries:
            value = entry.get("id") if isinstance(entry, dict) else entry
            if not isinstance(value, str) or not value:
                raise PolicyError(f"trust registry entry {entry!r} has no issuer id")
            ids.add(value)
        return frozenset(ids)
    return frozenset(
        line.strip() for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


class TrustedIssuers(Policy):
    """The issuer's id must be one of ``ids`` (and of the ids in ``registry``)."""

    def __init__(
        self, ids: tuple[str, ...] | list[str] | frozenset[str] | set[str] = (),
        *, registry: str | os.PathLike[str] | None = None,
    ) -> None:
        if isinstance(ids, str):
            ids = (ids,)
        found = set(ids)
        if registry is not None:
            found |= load_trust_registry(registry)
        self.ids = frozenset(found)

    def configure(self, settings: Settings) -> None:
        settings.trusted_issuers.append(self.ids)

    def check(self, facts: Facts) -> PolicyFailure | None:
        if facts.issuer is not None and facts.issuer in self.ids:
            return None
        return PolicyFailure(f"issuer {facts.issuer or '(none)'} is not in the trust registry",
                             "ISSUER_NOT_REGISTERED")

    def __repr__(self) -> str:
        return f"TrustedIssuers({len(self.ids)} ids)"


class AllowedSuites(Policy):
    """Only proofs in these suites (cryptosuite or proof type names, or ``"jwt"``) count."""

    sets_only = True

    def __init__(self, *names: str) -> None:
        self.names = frozenset(names)

    def configure(self, settings: Settings) -> None:
        current = settings.allowed_suites
        settings.allowed_suites = self.names if current is None else current & self.names

    def __repr__(self) -> str:
        return f"AllowedSuites({', '.join(sorted(self.names))})"


class RequireStatus(Policy):
    """The credential must carry a status entry for each purpose (default: revocation)."""

    def __init__(self, *purposes: str) -> None:
        self.purposes = frozenset(purposes or ("revocation",))
        unknown = self.purposes - {"revocation", "suspension"}
        if unknown:
            raise PolicyError(f"unknown status purposes {sorted(unknown)}")

    def check(self, facts: Facts) -> PolicyFailure | None:
        missing = sorted(self.purposes - facts.status_purposes)
        if missing:
            return PolicyFailure(f"the policy requires a {' and a '.join(missing)} status "
                                 "entry and there is none")
        return None

    def __repr__(self) -> str:
        return f"RequireStatus({', '.join(sorted(self.purposes))})"


class MaxAge(Policy):
    """``validFrom`` must be no older than this (``MaxAge(days=365)``)."""

    def __init__(self, age: timedelta | None = None, **parts: float) -> None:
        self.age = age if age is not None else timedelta(**parts)
        if self.age <= timedelta(0):
            raise PolicyError("MaxAge must be positive")

    def check(self, facts: Facts) -> PolicyFailure | None:
        if facts.valid_from is None:
            return PolicyFailure(f"the credential has no validFrom; the policy's maximum age "
                                 f"{self.age} cannot be checked")
        if facts.now - facts.valid_from > self.age:
            return PolicyFailure(f"issued {facts.valid_from.isoformat()}, older than the "
                                 f"policy's maximum age {self.age}")
        return None

    def __repr__(self) -> str:
        return f"MaxAge({self.age})"


class ClockSkew(Policy):
    """Tolerance when judging ``validFrom`` and ``validUntil`` (default 300 seconds)."""

    sets_only = True

    def __init__(self, seconds: float) -> None:
        if seconds < 0:
            raise PolicyError("clock skew cannot be negative")
        self.skew = timedelta(seconds=seconds)

    def configure(self, settings: Settings) -> None:
        if settings.clock_skew_set:
            settings.clock_skew = min(settings.clock_skew, self.skew)
        else:
            settings.clock_skew, settings.clock_skew_set = self.skew, True

    def __repr__(self) -> str:
        return f"ClockSkew({self.skew.total_seconds():g})"


class StrictStatusListLength(Policy):
    """A status list shorter than the spec's 16 KiB (131,072 bits) fails the status check
    (``STATUS_LIST_LENGTH_ERROR``) instead of warning. Lists that large are what the spec
    requires; some issuers publish shorter ones (the DCC's have 100,000 entries)."""

    sets_only = True

    def configure(self, settings: Settings) -> None:
        settings.strict_status_list_length = True

    def __repr__(self) -> str:
        return "StrictStatusListLength()"


class AnyCredentialType(Policy):
    """Verify any Verifiable Credential, not only Open Badges and CLRs: a credential of
    another type passes the ``schema`` check when it meets the VC Data Model 2.0 rules (the
    typed model and the rules the schemas leave out) instead of failing as "not an Open
    Badges or CLR credential". OB and CLR credentials still meet their schemas. Every other
    check (signature, issuer binding, dates, status) is the same. ``mcbadge serve`` verifies
    with it, as a VC-API verifier must."""

    sets_only = True

    def configure(self, settings: Settings) -> None:
        settings.any_credential_type = True

    def __repr__(self) -> str:
        return "AnyCredentialType()"


class UnsafeStatusUnreachable(Policy):
    """UNSAFE: a status list that cannot be fetched (or whose method mcbadge cannot check)
    is a warning, not a failure, so a revoked badge passes while its list is unreachable."""

    sets_only = True

    def configure(self, settings: Settings) -> None:
        settings.unsafe_status_unreachable = True

    def __repr__(self) -> str:
        return "UnsafeStatusUnreachable()"


class UnsafeUnconfirmedKeys(Policy):
    """UNSAFE: a key that the issuer's own documents (profile, DID document, JWK set) could
    not be fetched to confirm is a warning, so anyone can sign as an issuer whose documents
    are unreachable."""

    sets_only = True

    def configure(self, settings: Settings) -> None:
        settings.unsafe_unconfirmed_keys = True

    def __repr__(self) -> str:
        return "UnsafeUnconfirmedKeys()"


class UnsafeUnboundIssuer(Policy):
    """UNSAFE: an issuer id that no key can be bound to (``urn:uuid:...``, or a key whose
    controller is not the issuer but carries itself, such as a did:key) is a warning, so
    anyone can sign as that issuer. Trust such badges only through a registry."""

    sets_only = True

    def configure(self, settings: Settings) -> None:
        settings.unsafe_unbound_issuer = True

    def __repr__(self) -> str:
        return "UnsafeUnboundIssuer()"


UNSAFE_VALIDATOR_COMPATIBLE = AllOf(UnsafeStatusUnreachable(), UnsafeUnconfirmedKeys(),
                                    UnsafeUnboundIssuer())
"""UNSAFE: lenient like the official 1EdTech validator (unreachable lists, unconfirmed keys
and unbound issuer ids are warnings)."""
