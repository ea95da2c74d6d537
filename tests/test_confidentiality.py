"""No file under the store holds a synthetic client's name or date of birth, in any encoding."""

from __future__ import annotations

import base64
import codecs
import json

from dacli.services.admin import add_user, remove_user
from dacli.services.case_view import reindex, show_case
from dacli.services.caseload import caseload
from dacli.services.intake import intake

NAMES = ["Quorra Testperson-Alpha", "Yoric Testperson-Beta", "Vexley Testperson-Gamma"]
DATES = ["1987-04-12", "2019-08-30", "1985-01-21"]
ADDRESS = "17 Imaginary Testcase Lane"


def _encodings(text: str) -> list[bytes]:
    forms = {text, text.lower(), text.upper(), text.split()[0], text.split("-")[-1]}
    out: list[bytes] = []
    for form in forms:
        raw = form.encode()
        out += [
            raw,
            form.encode("utf-16-le"),
            form.encode("utf-16-be"),
            json.dumps(form, ensure_ascii=True).strip('"').encode(),
            base64.b64encode(raw).rstrip(b"="),
            base64.urlsafe_b64encode(raw).rstrip(b"="),
            raw.hex().encode(),
            codecs.encode(form, "rot13").encode(),
        ]
    return [o for o in out if len(o) >= 6]


def _date_forms(iso: str) -> list[bytes]:
    y, m, d = iso.split("-")
    return [iso.encode(), f"{d}/{m}/{y}".encode(), f"{y}{m}{d}".encode(), f"{d}.{m}.{y}".encode()]


def test_nothing_under_the_store_holds_a_name_or_date_of_birth(session, form, case_ref):
    # exercise every writer: intake, case view, caseload, staff changes, audit with reasons, reindex
    from datetime import UTC, datetime

    from dacli.services.notes import add_contact, add_note, parse_contact, parse_note

    intake(session, form)
    add_note(
        session,
        case_ref,
        parse_note(
            {"at": datetime(2026, 11, 3, 10), "initials": "MG", "contact_type": "telephone",
             "contact_with": "client", "facts": f"{NAMES[0]} lives at {ADDRESS}",
             "opinion": f"{NAMES[2]} is escalating"},
            datetime(2026, 11, 23, tzinfo=UTC),
        ),
    )  # fmt: skip
    add_contact(session, case_ref, parse_contact({"agency": "Police", "name": NAMES[1], "address": ADDRESS}))
    show_case(session, case_ref)
    caseload(session)
    add_user(session, "cw1", "caseworker", "another long passphrase")
    remove_user(session, "cw1", f"{NAMES[0]} born {DATES[0]} asked for a new worker")
    reindex(session)
    needles = [n for name in [*NAMES, ADDRESS] for n in _encodings(name)]
    needles += [d for iso in DATES for d in _date_forms(iso)]
    files = [p for p in session.store.root.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"{path.relative_to(session.store.root)} holds {needle!r}"
        for name in NAMES:
            assert name.split()[0].lower() not in str(path).lower()
