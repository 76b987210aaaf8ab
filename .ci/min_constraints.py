"""Print pip constraints pinning every runtime dependency of pyproject.toml to its declared
floor (``name>=X`` -> ``name==X``): the oldest versions mcbadge says it works with."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
for requirement in project["project"]["dependencies"]:
    match = re.match(r"([A-Za-z0-9_.\[\]-]+?)(\[.*\])?\s*>=\s*([^,;\s]+)", requirement)
    if match is None:
        sys.exit(f"no floor in {requirement!r}: every dependency needs one")
    print(f"{match.group(1)}=={match.group(3)}")
