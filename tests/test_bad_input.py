"""Property tests: any data at all given to a form reader ends in a valid form or one clear error.

Never another exception (which the CLI would report as an internal error), whatever the keys, values,
types, sizes or unicode.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dacli.dashscore import parse, read_checklist
from dacli.errors import InvalidInput
from dacli.rules.dash import DashInputError, DashRules, score
from dacli.services.children import parse_csc
from dacli.services.consent import parse_agreement, parse_disclosure
from dacli.services.court import parse_hearing
from dacli.services.dash import parse_dash
from dacli.services.intake import parse_intake
from dacli.services.issp import parse_issp
from dacli.services.marac import parse_marac, parse_research
from dacli.services.notes import parse_contact, parse_note
from dacli.services.review import parse_exit, parse_review
from dacli.services.sharing import parse_share
from dacli.services.soag import parse_soag

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=5000),
    st.dates(),
    st.datetimes(),
    st.sampled_from(["yes", "no", "dont-know", "../../etc/passwd", "DA-AAAAA-AAAAA\n", "\x00\x1b[31m"]),
)
keys = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ["client", "referral", "name", "dob", "date", "answers", "q1", "q14", "q25", "context",
         "professional", "children", "perpetrators", "checklist", "physical", "occurring", "severity", "at",
         "facts", "agency"]
    ),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)
forms = st.dictionaries(keys, values, max_size=6)

EXAMPLES = int(os.environ.get("DACLI_HYPOTHESIS_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(forms)
def test_intake_reader(data):
    with contextlib.suppress(InvalidInput):
        parse_intake(data, TODAY)


@SETTINGS
@given(forms)
def test_note_reader(data):
    with contextlib.suppress(InvalidInput):
        parse_note(data, NOW)


@SETTINGS
@given(forms)
def test_contact_csc_soag_and_dash_readers(data):
    readers = (
        parse_contact,
        parse_csc,
        lambda d: parse_soag(d, TODAY),
        lambda d: parse_dash(d, TODAY),
        lambda d: parse_agreement(d, TODAY),
        lambda d: parse_hearing(d, TODAY),
        lambda d: parse_share(d, NOW),
        lambda d: parse_disclosure(d, NOW),
        lambda d: parse_marac(d, TODAY),
        lambda d: parse_issp(d, TODAY),
        lambda d: parse_review(d, TODAY),
        lambda d: parse_exit(d, TODAY),
        lambda d: parse_research(d, TODAY),
    )
    for reader in readers:
        with contextlib.suppress(InvalidInput):
            reader(data)


@SETTINGS
@given(forms)
def test_dash_score_reader(data):
    with contextlib.suppress(DashInputError):
        score(read_checklist(data, TODAY), DashRules())


@SETTINGS
@given(st.text(max_size=2000))
def test_dash_score_parser_on_any_text(text):
    with contextlib.suppress(DashInputError):
        score(read_checklist(parse(text, "file"), TODAY), DashRules())
