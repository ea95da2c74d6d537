"""Tab completion (`dacli --install-completion`): what a shell is offered for a case reference."""

from __future__ import annotations

import os

import typer


def complete_ref(ctx: typer.Context, incomplete: str) -> list[str]:
    """The store's case folders beginning with what is typed (folder names only: nothing is decrypted, and
    no folder is ever named after a person). The store is the line's --store, else as every command finds
    it (`dacli.config.where`)."""
    from dacli import config
    from dacli.errors import DacliError
    from dacli.text import CASE_REF_RE, ref_prefixes

    try:
        given = ctx.find_root().params.get("store") or os.environ.get("DACLI_STORE")
        store, _user = config.where(given, "-")
        names = os.listdir(store)
    except (OSError, DacliError):
        return []
    starts = tuple(ref_prefixes(incomplete)) if incomplete else ("",)
    if not starts:
        return []
    return sorted(n for n in names if CASE_REF_RE.fullmatch(n) and (n[3:8] + n[9:]).startswith(starts))
