"""The README's security table names real tests: each file and test it cites exists in tests/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _table() -> list[str]:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Security: each threat")
    section = text[start : text.index("\n## ", start + 1)]
    return [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| ---")][
        1:
    ]


def test_every_threat_names_a_test_that_exists():
    rows = _table()
    assert len(rows) >= 15
    for row in rows:
        cited = row.rstrip(" |").rsplit("|", 1)[1]
        refs = re.findall(r"`(test_\w+\.py)?(?:::)?(test_\w+)?`", cited)
        assert refs, f"no test named in: {row[:80]}"
        current = None
        for file_, test in refs:
            current = file_ or current
            assert current, f"a test without its file in: {row[:80]}"
            source = (ROOT / "tests" / current).read_text()
            if test:
                assert re.search(rf"^(async )?def {test}\(", source, re.M), (
                    f"{current}::{test} does not exist"
                )
