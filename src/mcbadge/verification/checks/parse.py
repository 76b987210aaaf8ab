"""``parse``: read the input (JSON, a compact VC-JWT, a baked PNG or SVG) within the size
and nesting caps."""

from __future__ import annotations

from mcbadge.errors import MCBadgeError
from mcbadge.verification._result import Check
from mcbadge.verification._source import read_source
from mcbadge.verification._state import State
from mcbadge.verification.checks._base import VerifierCheck


class ParseCheck(VerifierCheck):
    id = "parse"
    phase = "read"
    fatal = True
    skip_message = "not run: nothing could be read"
    problems = frozenset({"PARSING_ERROR"})

    def run(self, state: State) -> Check:
        try:
            state.read = read_source(state.source, state.run.limits)
        except MCBadgeError as exc:
            return self.failed(exc.message, "PARSING_ERROR")
        except (RecursionError, MemoryError, ValueError, OSError, LookupError) as exc:
            return self.failed(f"cannot read the input: {type(exc).__name__}", "PARSING_ERROR")
        return self.passed(f"read a {state.read.format.upper()} credential",
                           format=state.read.format)
