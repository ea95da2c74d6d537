"""The `dacli` console script.

`dacli dash score FILE` must start about as fast as a small script, and typer (0.29) imports pydantic and
builds its adapters at start-up. So the entry point looks at the arguments first: `dash score` without a
case goes to the lean `dacli.dashscore` (standard library and `dacli.rules.dash` only); `case list` and
`case show REF` go to `dacli.hot` (the same output without building the typer app); `note add`, `dash
record` and `intake --from` go to `dacli.lean` (the command's own function, called without typer's
parameter handling); everything else loads the full typer app. `dash score` both ways shares
`dacli.dashscore`'s reader and renderer.

Before either, the process is hardened (`dacli.harden`): no core dumps, not dumpable, since it is about to
hold a passphrase, keys or case data in memory.
"""

from __future__ import annotations

import sys


def main() -> None:
    from dacli.harden import harden_process

    harden_process()
    argv = sys.argv[1:]
    if argv[:2] == ["dash", "score"] and not any(a == "--case" or a.startswith("--case=") for a in argv):
        from dacli.dashscore import main as dash_score

        sys.exit(dash_score(argv[2:]))
    if "case" in argv:
        from dacli.hot import main as hot

        code = hot(argv)
        if code is not None:
            sys.exit(code)
    if "note" in argv or "dash" in argv or "intake" in argv:
        from dacli.lean import main as lean

        code = lean(argv)
        if code is not None:
            sys.exit(code)
    from dacli.cli import main as full

    full()
