"""Turn the dashboard's SVG snapshots (tests/__snapshots__/test_tui_snapshots/) into the PNGs the README
shows (docs/screens/). Needs `rsvg-convert` (Debian: `apt-get install librsvg2-bin`).

    python docs/screens.py

Textual's SVGs stretch each run of text to its cells with `textLength`; librsvg then squeezes runs of
spaces, so the PNGs here are drawn from a copy without it (monospace text, spaces kept). The snapshots
hold only the example store's synthetic people.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "tests" / "__snapshots__" / "test_tui_snapshots"
OUT = ROOT / "docs" / "screens"
SHOWN = {
    "test_caseload_all_cases[80x24].svg": "caseload-80x24.png",
    "test_case_screen[160x45].svg": "case-160x45.png",
}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for svg, png in SHOWN.items():
        text = (SNAPSHOTS / svg).read_text()
        text = re.sub(r' textLength="[0-9.]+"', "", text).replace("&#160;", " ")
        text = text.replace("<svg ", '<svg xml:space="preserve" ', 1)
        with tempfile.NamedTemporaryFile("w", suffix=".svg") as plain:
            plain.write(text)
            plain.flush()
            subprocess.run(["rsvg-convert", "-b", "#1e1e1e", plain.name, "-o", str(OUT / png)], check=True)
        print(f"{OUT / png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
