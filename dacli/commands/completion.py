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
    typed = incomplete.strip()
    if "DA-".startswith(typed.upper()):  # nothing of the reference yet ('', 'd', 'DA', 'da-'): every case
        starts: tuple[str, ...] = ("",)
    else:
        starts = tuple(ref_prefixes(typed))
        if not starts:
            return []
    refs = sorted(n for n in names if CASE_REF_RE.fullmatch(n) and (n[3:8] + n[9:]).startswith(starts))
    # offered as typed (typer keeps only what begins with the word): 'da-7k' gets 'da-7k3m9-qxp2t', '7K' gets
    # '7K3M9-QXP2T'; every form is one the commands read
    lower = typed != typed.upper()
    whole = typed.upper().startswith("DA") or "DA-".startswith(typed.upper())
    return [(ref if whole else ref[3:]).lower() if lower else (ref if whole else ref[3:]) for ref in refs]
