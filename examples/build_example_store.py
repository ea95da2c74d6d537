"""Build the bundled example store (examples/store) from invented people.

    python examples/build_example_store.py            # refuses if examples/store exists
    python examples/build_example_store.py --force    # rebuild it

Users: `demo` (manager) and `sam.cw` (caseworker); both have the demo passphrase below. The audit log
the build writes is kept (machine id `example`), so `dacli audit verify` passes on a fresh clone.
Every name is invented and marked 'Testcase'; none belongs to a real person.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

DEMO_PASSPHRASE = "demo-passphrase"
HERE = Path(__file__).resolve().parent
STORE = HERE / "store"

CASES = [
    # name, dob, referral date, referred by, worker, pregnant/due, children, perpetrators
    ("Ailsa Testcase-Morrow", date(1984, 3, 2), date(2026, 11, 21), "police", "sam.cw", None,
     [("Bryn Testcase-Morrow", date(2015, 5, 1))], [("Corin Testcase-Morrow", "husband")]),
    ("Delphine Testcase-Oakes", date(1979, 8, 19), date(2026, 11, 18), "self", "sam.cw", None,
     [], [("Emlyn Testcase-Oakes", "ex-partner")]),
    ("Farrah Testcase-Quill", date(1996, 1, 30), date(2026, 10, 30), "health visitor", "demo",
     date(2027, 2, 14), [], [("Gideon Testcase-Roth", "partner")]),
    ("Hester Testcase-Ives", date(1958, 11, 4), date(2026, 9, 12), "adult social care", "demo", None,
     [], [("Ivo Testcase-Ives", "son")]),
    ("Jory Testcase-Keane", date(1990, 7, 7), date(2026, 8, 1), "police", "sam.cw", None,
     [("Kit Testcase-Keane", date(2012, 2, 2)), ("Lark Testcase-Keane", date(2025, 12, 24))],
     [("Marek Testcase-Lund", "ex-partner", date(1986, 4, 4))]),
    ("Nerys Testcase-Pike", date(2001, 4, 22), date(2026, 11, 3), "housing", "demo", None,
     [], [("Osric Testcase-Pike", "father"), ("Perrin Testcase-Pike", "brother")]),
    ("Quilla Testcase-Shaw", date(1987, 10, 10), date(2026, 6, 15), "A&E", "sam.cw", None,
     [("Rafe Testcase-Shaw", date(2019, 3, 3))], [("Silas Testcase-Thorne", "ex-partner")]),
    ("Tamsin Testcase-Ure", date(1975, 2, 28), date(2026, 10, 2), "self", "demo", None,
     [], [("Ulric Testcase-Ure", "husband")]),
    ("Verity Testcase-Wren", date(1993, 9, 16), date(2026, 11, 10), "school", "sam.cw", None,
     [("Wynn Testcase-Wren", date(2016, 6, 6)), ("Xan Testcase-Wren", date(2018, 8, 8))],
     [("Yale Testcase-Wren", "partner")]),
    ("Zinnia Testcase-Abbot", date(1969, 12, 12), date(2026, 5, 5), "police", "demo", None,
     [], [("Alder Testcase-Abbot", "ex-husband")]),
    ("Brisa Testcase-Cole", date(1999, 5, 5), date(2026, 11, 22), "midwife", "sam.cw",
     date(2027, 4, 1), [], [("Cato Testcase-Dunn", "partner")]),
    ("Dorit Testcase-Ember", date(1982, 6, 21), date(2026, 7, 19), "police", "demo", None,
     [("Esme Testcase-Ember", date(2010, 10, 10))], [("Fenwick Testcase-Ember", "ex-partner")]),
]  # fmt: skip


BUILT_AT = "2026-11-23T17:35:56+00:00"
"""The moment the example's story is told from (its dates are fixed; the audit entries say the clock was set,
and the computer's own time)."""


def build(force: bool) -> None:
    os.environ["DACLI_MACHINE_ID"] = "example"
    os.environ["DACLI_NOW"] = BUILT_AT  # dacli's one clock, pinned: the same store whatever day it is rebuilt
    from dacli import clock
    from dacli.services.admin import add_user, init_store
    from dacli.services.dash import parse_dash, record_dash
    from dacli.services.intake import intake, parse_intake
    from dacli.services.notes import add_contact, add_note, parse_contact, parse_note

    if STORE.exists():
        if not force:
            sys.exit(f"{STORE} exists; pass --force to rebuild it.")
        shutil.rmtree(STORE)
    init_store(STORE, "demo", DEMO_PASSPHRASE, "Example Idva service (synthetic data)")
    store_ = __import__("dacli.store.store", fromlist=["Store"]).Store(STORE)
    session = store_.unlock("demo", DEMO_PASSPHRASE)
    add_user(session, "sam.cw", "caseworker", DEMO_PASSPHRASE)
    today = date(2026, 11, 23)
    refs = []
    for name, dob, referred, by, worker, due, children, perps in CASES:
        form = {
            "client": {"name": name, "dob": dob, "pregnant": due is not None, "due_date": due},
            "referral": {"date": referred, "referred_by": by},
            "caseworker": worker,
            "children": [{"name": n, "dob": d} for n, d in children],
            "perpetrators": [
                {"name": p[0], "relationship": p[1], **({"dob": p[2]} if len(p) > 2 else {})} for p in perps
            ],
        }
        form["client"] = {k: v for k, v in form["client"].items() if v is not None}
        if name.startswith("Ailsa"):
            form["concerns"] = {
                "flag": True,
                "details": "staff safety issues: perpetrator has visited office",
            }
            form["client"].update(safe_number="07700 900123", code_word="lantern", safe_time_to_call="9-11am")
        ref = intake(session, parse_intake(form, today)).case
        refs.append(ref)
        print(ref, name.split()[0])
    # Case notes: most referrals were contacted within 48 hours; two were not (shown as overdue).
    for (name, _dob, referred, *_), ref in zip(CASES, refs, strict=True):
        if name.startswith(("Brisa", "Delphine")):
            continue
        first = datetime.combine(referred, time(10, 0), tzinfo=UTC) + timedelta(hours=20)
        add_note(
            session,
            ref,
            parse_note(
                {
                    "at": first,
                    "initials": "SC",
                    "contact_type": "telephone",
                    "contact_with": "client",
                    "facts": "First contact. Safe number and safe time to call confirmed.",
                    "activities": ["G"],
                },
                clock.now(),
            ),
        )
    add_note(
        session,
        refs[0],
        parse_note(
            {
                "at": datetime(2026, 11, 22, 15, 0, tzinfo=UTC),
                "initials": "SC",
                "contact_type": "meeting",
                "contact_with": "police",
                "facts": "Officer in case confirmed bail conditions: no contact, exclusion zone.",
                "opinion": "Client appears more frightened since the bail hearing.",
                "activities": ["P", "CR"],
            },
            clock.now(),
        ),
    )
    add_contact(
        session,
        refs[0],
        parse_contact({"agency": "Police", "role": "Officer in case", "name": "DC Testcase-Yarrow"}),
    )

    # Dash checklists: visible high risk, escalation, medium by professional judgement, standard.
    def checklist(ref, yes, assessed, **extra):
        form = {
            "answers": {f"q{n}": "yes" if n <= yes else "no" for n in range(1, 25)},
            "assessed_on": assessed,
            **extra,
        }
        record_dash(session, ref, parse_dash(form, today), today)

    checklist(refs[0], 12, date(2026, 11, 22))
    checklist(refs[0], 15, date(2026, 11, 23))
    checklist(refs[4], 9, date(2026, 10, 10), context={"police_incidents_past_12_months": 4})
    checklist(refs[2], 8, date(2026, 11, 1), professional={"level": "medium"})
    checklist(refs[3], 4, date(2026, 9, 13))
    # A safety plan for the highest-risk case, from the README's example file (one action overdue).
    import tomllib

    from dacli.services.issp import parse_issp
    from dacli.services.issp import record as record_plan

    plan = tomllib.loads((HERE / "forms" / "issp-example.toml").read_text())
    record_plan(session, refs[0], parse_issp(plan, today), today)
    # A repeat referral: Zinnia comes back through a new referrer (a new intake in her folder).
    again = {
        "client": {"name": "Zinnia Testcase-Abbot", "dob": CASES[9][1]},
        "referral": {"date": date(2026, 11, 19), "referred_by": "GP surgery"},
        "perpetrators": [{"name": "Alder Testcase-Abbot", "relationship": "ex-husband"}],
    }
    print(intake(session, parse_intake(again, today)).case, "repeat")
    # A conflict of interest: a new client is named as the perpetrator in Jory's case.
    conflict = {
        "client": {"name": "Marek Testcase-Lund", "dob": date(1986, 4, 4)},
        "referral": {"date": date(2026, 11, 21), "referred_by": "self"},
        "complete": False,
    }
    print(intake(session, parse_intake(conflict, today)).case, "conflict")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true")
    build(parser.parse_args().force)
