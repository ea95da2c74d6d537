"""The Severity of Abuse Grid on a case: recorded, its history, movement between grids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dacli import clock
from dacli.errors import InvalidInput
from dacli.services.case_view import append_record
from dacli.services.forms import not_future, parse_form, validated
from dacli.store.layout import check_case_ref
from dacli.store.store import Session


def parse_soag(data: dict[str, Any], today: dt.date):
    from dacli.schemas.soag import SoagForm

    form = parse_form(SoagForm, data, "Grid")
    not_future(form.assessed_on, today, "Grid", "assessed_on")
    if all(row.occurring == "not-answered" for _, row in form.rows()):
        # a grid nobody answered would become the baseline every later grid is compared with
        raise InvalidInput(
            "Grid refused, nothing written: no abuse type is answered (physical, sexual, "
            "stalking_harassment, jealous_controlling_emotional: occurring yes, no or dont-know)."
        )
    return form


def record_soag(session: Session, ref: str, form, today: dt.date | None = None) -> str:
    from dacli.schemas.soag import SOAG_SCHEMA, SoagRecord

    check_case_ref(ref)
    session.record_names(ref)
    now = clock.now()
    fields = {
        **form.model_dump(mode="python"),
        "assessed_on": form.assessed_on or today or clock.today(),
        "schema": SOAG_SCHEMA,
        "assessed_by": session.member.id,
        "recorded_at": now,
    }
    name, _ = append_record(
        session, ref, kind="soag", at=now, model=SoagRecord, fields=fields, action="soag-record", index=False
    )
    return name


def soag_history(session: Session, ref: str):
    """Every grid of a case, oldest first (the read is audited)."""
    from dacli.schemas.soag import SoagRecord

    check_case_ref(ref)
    names = [n for n in session.record_names(ref) if n.startswith("soag-")]
    grids = [(n, validated(SoagRecord, session.read_record(ref, n), ref, n)) for n in names]
    session.audit("soag-read", case=ref)
    return sorted(grids, key=lambda g: (g[1].assessed_on, g[1].recorded_at))


def soag_comparison(grids):
    """The first grid (at intake) against the latest, per abuse type."""
    from dacli.rules.soag import compare

    if len(grids) < 2:
        return []

    def key(grid):
        return {t: (row.occurring, row.severity) for t, row in grid.rows()}

    return compare(key(grids[0][1]), key(grids[-1][1]))
