"""Verification policies: what a verifier requires beyond "the credential is what it says".

Policies are small objects; combine them with :class:`AllOf` or ``&``:

```python
from mcbadge.verification.policy import AllOf, MaxAge, RequireStatus, TrustedIssuers

policy = TrustedIssuers(registry="trusted-issuers.json") & RequireStatus() & MaxAge(days=365)
result = mcbadge.verify(badge, policy=policy)
```

| policy | effect (check id) |
| --- | --- |
| ``TrustedIssuers(ids, registry=path)`` | the issuer must be listed (``registered_issuer``) |
| ``AllowedSuites(*names)`` | only these proof suites count (``valid_signature``) |
| ``RequireStatus(*purposes)`` | a status entry must be present (``revocation_status``) |
| ``MaxAge(...)`` | ``validFrom`` no older than this (``valid_from``) |
| ``StatusUnreachable("warn")`` | an unfetchable status list is a warning, not a failure |
| ``UnconfirmedKeys("warn")`` | a key the issuer's documents could not confirm is a warning |
| ``ClockSkew(seconds)`` | tolerance for ``validFrom``/``validUntil`` (default 300 s) |

Several policies of one kind tighten each other: two ``TrustedIssuers`` mean the issuer must
be in both; ``AllowedSuites`` intersect; the smallest ``MaxAge`` wins; any ``"fail"`` beats
``"warn"``. ``AllOf()`` with nothing in it is refused at verification time (check
``policy``), so that an empty rule set can never pass by accident.

:data:`VALIDATOR_COMPATIBLE` behaves like the official 1EdTech validator: an unreachable
revocation list and an issuer key that could not be confirmed are warnings.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

from mcbadge.errors import MCBadgeError

__all__ = [
    "VALIDATOR_COMPATIBLE",
    "AllOf",
    "AllowedSuites",
    "ClockSkew",
    "MaxAge",
    "Policy",
    "PolicyError",
    "RequireStatus",
    "Settings",
    "StatusUnreachable",
    "TrustedIssuers",
    "UnconfirmedKeys",
    "load_trust_registry",
]

Mode = Literal["fail", "warn"]


class PolicyError(MCBadgeError, ValueError):
    """A policy is malformed (a bad mode, an unreadable trust registry)."""

    code = "POLICY_ERROR"


@dataclass
class Settings:
    """What a policy (or several) asks of one verification run."""

    clock_skew: timedelta = timedelta(seconds=300)
    allowed_suites: frozenset[str] | None = None
    required_status: frozenset[str] = frozenset()
    max_age: timedelta | None = None
    status_unreachable: Mode | None = None
    """None: no policy said; treated as ``"fail"``."""
    unconfirmed_keys: Mode | None = None
    trusted_issuers: list[frozenset[str]] = field(default_factory=list)
    vacuous: bool = False


class Policy:
    """Base class: a policy adjusts :class:`Settings`. Combine with ``&``."""

    def apply(self, settings: Settings) -> None:
        raise NotImplementedError

    def settings(self) -> Settings:
        out = Settings()
        self.apply(out)
        return out

    def __and__(self, other: Policy) -> AllOf:
        left = self.policies if isinstance(self, AllOf) else (self,)
        right = other.policies if isinstance(other, AllOf) else (other,)
        return AllOf(*left, *right)


class AllOf(Policy):
    """Every policy given must hold. ``AllOf()`` of nothing fails verification."""

    def __init__(self, *policies: Policy) -> None:
        self.policies = policies

    def apply(self, settings: Settings) -> None:
        if not self.policies:
            settings.vacuous = True
        for policy in self.policies:
            policy.apply(settings)

    def __repr__(self) -> str:
        return f"AllOf({', '.join(map(repr, self.policies))})"


def _mode(value: str) -> Mode:
    if value not in ("fail", "warn"):
        raise PolicyError(f"mode must be 'fail' or 'warn', not {value!r}")
    return "fail" if value == "fail" else "warn"


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

    def apply(self, settings: Settings) -> None:
        settings.trusted_issuers.append(self.ids)

    def __repr__(self) -> str:
        return f"TrustedIssuers({len(self.ids)} ids)"


class AllowedSuites(Policy):
    """Only proofs in these suites (cryptosuite or proof type names, or ``"jwt"``) count."""

    def __init__(self, *names: str) -> None:
        self.names = frozenset(names)

    def apply(self, settings: Settings) -> None:
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

    def apply(self, settings: Settings) -> None:
        settings.required_status = settings.required_status | self.purposes

    def __repr__(self) -> str:
        return f"RequireStatus({', '.join(sorted(self.purposes))})"


class MaxAge(Policy):
    """``validFrom`` must be no older than this (``MaxAge(days=365)``)."""

    def __init__(self, age: timedelta | None = None, **parts: float) -> None:
        self.age = age if age is not None else timedelta(**parts)
        if self.age <= timedelta(0):
            raise PolicyError("MaxAge must be positive")

    def apply(self, settings: Settings) -> None:
        if settings.max_age is None or self.age < settings.max_age:
            settings.max_age = self.age

    def __repr__(self) -> str:
        return f"MaxAge({self.age})"


class StatusUnreachable(Policy):
    """What an unfetchable status list means: ``"fail"`` (the default) or ``"warn"``."""

    def __init__(self, mode: str) -> None:
        self.mode = _mode(mode)

    def apply(self, settings: Settings) -> None:
        settings.status_unreachable = _stricter(settings.status_unreachable, self.mode)

    def __repr__(self) -> str:
        return f"StatusUnreachable({self.mode!r})"


class UnconfirmedKeys(Policy):
    """What a key the issuer's own documents could not confirm (profile or DID document
    unreachable, or an issuer id that cannot be resolved) means: ``"fail"`` or ``"warn"``."""

    def __init__(self, mode: str) -> None:
        self.mode = _mode(mode)

    def apply(self, settings: Settings) -> None:
        settings.unconfirmed_keys = _stricter(settings.unconfirmed_keys, self.mode)

    def __repr__(self) -> str:
        return f"UnconfirmedKeys({self.mode!r})"


class ClockSkew(Policy):
    """Tolerance when judging ``validFrom`` and ``validUntil`` (default 300 seconds)."""

    def __init__(self, seconds: float) -> None:
        if seconds < 0:
            raise PolicyError("clock skew cannot be negative")
        self.skew = timedelta(seconds=seconds)

    def apply(self, settings: Settings) -> None:
        settings.clock_skew = self.skew

    def __repr__(self) -> str:
        return f"ClockSkew({self.skew.total_seconds():g})"


def _stricter(current: Mode | None, new: Mode) -> Mode:
    return "fail" if "fail" in (current, new) else "warn"


VALIDATOR_COMPATIBLE = AllOf(StatusUnreachable("warn"), UnconfirmedKeys("warn"))
"""Lenient like the official 1EdTech validator: unreachable lists and unconfirmed keys warn."""
