"""The last check before anything leaves dacli: every safe value of a case, however it was typed."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote, quote_plus, unquote_plus

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dacli import clock
from dacli.services.exports import WITHHELD, redact

VALUES = {
    "client.safe_number": ["07700 900999"],
    "client.address": ["Flat 2, 14 Testcase Road\nNorthtown"],
    "client.code_word": ["Red"],
    "safe.refuge_location": ["St John’s Testcase House"],
    "children.school": ["Café Testcase Academy"],
}


@pytest.mark.parametrize(
    "typed, field",
    [
        ("call 07700900999 after six", "client.safe_number"),
        ("call 07700-900-999 after six", "client.safe_number"),
        ("call (07700) 900 999", "client.safe_number"),
        ("she lives at 14 testcase road now", "client.address"),
        ("Flat 2,\n14 Testcase Road, Northtown", "client.address"),
        ("the code word is red.", "client.code_word"),
        ("staying at St John's testcase house", "safe.refuge_location"),
        ("goes to Cafe Testcase Academy", "children.school"),
        ("goes to CAFÉ  TESTCASE   ACADEMY", "children.school"),
    ],
)
def test_every_way_of_typing_a_safe_value_is_caught(typed, field):
    text, found = redact(f"Notes: {typed}. End.", VALUES)
    assert found == [field]
    assert WITHHELD in text and text.startswith("Notes: ") and text.endswith(". End.")
    for digits in ("900999", "900-999", "900 999"):
        assert digits not in text


@pytest.mark.parametrize(
    "field, stored, typed",
    [
        ("client.safe_number", "07700 900123 / 07700 900456", "ring 07700 900456"),
        ("client.safe_number", "07700 900123 - 07700 900456", "ring 07700-900-456"),
        ("client.safe_number", "07700 900123 or +44 7700 900456", "ring 07700 900456"),
        ("client.safe_number", "07700 900123 07700 900456", "ring 07700900456"),
        ("client.address", "12 Ørsted Road", "near orsted rd"),
        ("client.address", "Æsir House", "at aesir house"),
        ("children.school", "Lodz Primary", "goes to Łódź"),
        ("children.school", "Þorvale Academy", "goes to Thorvale"),
        ("client.code_word", "blue bird", "it is blue%20bird"),
        ("client.code_word", "pêche", "it is p%C3%AAche"),
        ("client.code_word", "blue bird", "it is blue+bird"),
        ("client.code_word", "Blue Bird", "it is BLUEBIRD2024"),
        ("client.code_word", "bluebird", "it is bluebirds"),
        ("client.address", "14 Kingsway, Leeds LS1 4AB", "went to Kingsway shops"),
        ("client.address", "14 Kingsway, Leeds LS1 4AB", "lives in Leeds LS1"),
        ("client.address", "3b Elm Road", "she is at Flat 3b"),
    ],
)
def test_partial_encoded_and_transliterated_values_are_caught(field, stored, typed):
    text, found = redact(f"Notes: {typed}. End.", {field: [stored]})
    assert found == [field] and WITHHELD in text, text
    left = unquote_plus(_folded(text))
    for gone in ("900456", "900 456", "900-456", "orsted", "aesir", "lodz", "thorvale", "peche"):
        assert gone not in left
    for gone in ("bluebird", "blue bird", "kingsway", "leeds ls1", "flat 3b"):
        assert gone not in left


def test_words_inside_other_words_are_left_alone():
    text, found = redact("Risk reduced; credit union referral.", VALUES)
    assert (text, found) == ("Risk reduced; credit union referral.", [])


def test_a_released_field_is_shown_whole_even_where_another_value_is_inside_it():
    values = {
        "client.address": ["Flat 2, 14 Testcase Road"],
        "client.alternative_address": ["14 Testcase Road"],
    }
    text, found = redact("Address: Flat 2, 14 Testcase Road.", values, ["client.address"])
    assert text == "Address: Flat 2, 14 Testcase Road." and found == []
    text, found = redact("Also seen at 14 Testcase Road.", values, ["client.address"])
    assert text == "Also seen at 14 Testcase Road."  # the same value, released under its other name


def test_plan_safe_values_and_earlier_intakes_reach_every_export(session):
    """A refuge location from the plan and a safe number from the first intake, typed into the court
    summary's bail conditions and the Marac research form, are withheld."""
    from dacli.services import issp
    from dacli.services.court import parse_hearing, record_hearing, summary
    from dacli.services.intake import intake, parse_intake
    from dacli.services.marac import parse_research, research

    today = clock.today()
    first = {"client": {"name": "Oda Testcase", "dob": dt.date(1991, 1, 1), "safe_number": "07700 900111"},
             "referral": {"date": today - dt.timedelta(days=30)}}  # fmt: skip
    ref = intake(session, parse_intake(first, today)).case
    again = {"client": {"name": "Oda Testcase", "dob": dt.date(1991, 1, 1)}, "referral": {"date": today}}
    assert intake(session, parse_intake(again, today)).case == ref  # a repeat: a second intake, no number
    plan = {
        "actions": [{"risk": "Fear", "action": "Talk it through"}],
        "safe": {"refuge_location": "Northgate Testcase Refuge"},
    }
    issp.record(session, ref, issp.parse_issp(plan, today), today)
    hearing = {"kind": "criminal", "hearing_date": today, "court": "Example Magistrates",
               "type_of_hearing": "bail", "victim_informed": True,
               "bail_conditions": "Not near Northgate Testcase Refuge; not to call 07700900111."}  # fmt: skip
    record_hearing(session, ref, parse_hearing(hearing, today))
    court = summary(session, ref, [], None)
    form = {"researched_on": today, "name_and_agency": "Idva Testcase", "contact_details": "x@example.org",
            "other_information": "Moved to northgate testcase refuge; safe phone 07700 900 111."}  # fmt: skip
    _, form_text = research(session, ref, parse_research(form, today), [], None)
    for text in (court, form_text):
        assert "northgate" not in text.lower() and "900111" not in text.replace(" ", "")
        assert WITHHELD in text


def test_a_failed_delivery_is_not_audited_as_an_export(session):
    from dacli.schemas.issp import IsspCopyRecord
    from dacli.services import issp, issp_copy
    from dacli.services.admin import audit_entries
    from dacli.services.intake import intake, parse_intake

    today = clock.today()
    ref = intake(
        session, parse_intake({"client": {"name": "Pim Testcase"}, "referral": {"date": today}}, today)
    ).case
    issp.record(
        session,
        ref,
        issp.parse_issp({"actions": [{"risk": "Fear", "action": "Talk it through"}]}, today),
        today,
    )

    def broken(content: bytes) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        issp_copy.client_copy(session, ref, "md", True, [], None, broken)
    entries = audit_entries(session)
    assert not any(e["action"] == "export" for e in entries)
    asked = [e for e in entries if e["action"] == "issp-copy-asked"]
    assert asked[-1]["detail"] == {"safe_to_take_home": True, "written": False}
    stored = IsspCopyRecord.model_validate(session.read_record(ref, asked[-1]["record"]))
    assert stored.written is False


def test_a_client_copy_that_cannot_be_written_never_says_nothing_was_written(
    cli, session, case_ref, tmp_path
):
    """The answer to 'safe to take home?' is recorded before the copy is delivered: a copy that cannot be
    written says so, and names the record that keeps the answer."""
    from dacli.services import issp

    plan = {"actions": [{"risk": "Fear", "action": "Talk it through"}]}
    issp.record(session, case_ref, issp.parse_issp(plan, clock.today()), clock.today())
    out = tmp_path / "no-such-folder" / "plan.md"
    failed = cli(
        "issp", "export", case_ref, "--format", "md", "--out", str(out), "--safe-to-take-home", "yes"
    )
    assert failed.exit_code == 8
    [copy] = [n for n in session.record_names(case_ref) if n.startswith("issp-copy-")]
    assert "nothing was written" not in failed.stderr
    assert f"{copy} in case {case_ref}" in failed.stderr and "was not made" in failed.stderr


# --- every way of writing each kind of safe value, through every export -------------------------------------
# Each kind has a stored value and a way it is typed into free text. The checks below are deliberately simpler
# than the matcher: an invented place or school name must not appear at all; a postcode, telephone number or
# code word must not appear with any separators between its characters.


NAMES = ["Quillbrook", "Zandermoor", "Brackenwold", "Thistlecombe", "Orrinsby", "Wexcombe", "Larkspurrow"]
# Invented names with letters NFKD leaves whole (and umlauts written with an e), and their plain spelling
ODD_NAMES = {
    "Ærdenholm": "Aerdenholm", "Ørnsby": "Ornsby", "Łowicombe": "Lowicombe", "Đurvale": "Durvale",
    "Œlwick": "Oelwick", "Þorvale": "Thorvale", "Straßmoor": "Strassmoor", "Müllerby": "Muellerby",
}  # fmt: skip
STREETS = [
    ("Road", "Rd"),
    ("Lane", "Ln"),
    ("Street", "St"),
    ("Avenue", "Ave"),
    ("Close", "Cl"),
    ("Drive", "Dr"),
    ("Crescent", "Cres"),
    ("Court", "Ct"),
    ("Place", "Pl"),
    ("Gardens", "Gdns"),
    ("Terrace", "Terr"),
    ("Grove", "Gro"),
    ("Square", "Sq"),
]
BUILDINGS = ["House", "Refuge", "Lodge", "Court", "Mansions", "Cottages", "Hostel"]
SCHOOLS = [
    "Primary School",
    "C of E Primary School",
    "Academy",
    "High School",
    "Junior and Infant School",
    "Community College",
    "Nursery",
    "RC Primary",
]
CODE_PARTS = ["zeph", "quill", "marl", "voxen", "brint", "tarnel", "wisp"]
SEPS = ["", " ", "  ", "-", ".", "_", "/"]
CASES = [str.upper, str.lower, str.title, str]
LETTERS = "ABCDEFGHJKLMNOPRSTUWYZ"


_PLAIN = str.maketrans({"æ": "ae", "ø": "o", "ł": "l", "đ": "d", "œ": "oe", "þ": "th", "ü": "ue"})


def _folded(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", text.casefold().translate(_PLAIN))
    return "".join(c for c in text if not unicodedata.combining(c))


def _spaced(chars: str, sep: str = r"[^a-z0-9]*") -> re.Pattern:
    return re.compile(r"(?<![a-z0-9])" + sep.join(map(re.escape, chars)) + r"(?![a-z0-9])")


@st.composite
def safe_case(draw):
    """A case's safe values, one of each kind, and the text a worker typed them into (each written another
    way), with what must not survive."""
    d = draw
    name, said = [], []  # each invented name as stored, and as typed (another spelling of an odd name)
    for drawn in d(st.permutations(NAMES + list(ODD_NAMES)))[:4]:
        spellings = [drawn, ODD_NAMES.get(drawn, drawn)]
        stored, written = d(st.permutations(spellings))
        name.append(stored)
        said.append(written)
    case = d(st.sampled_from(CASES))
    typed: list[str] = []
    gone_words: list[str] = []  # invented names that must vanish
    gone_spaced: list[str] = []  # characters that must not appear in order with only separators between
    gone_inside: list[str] = []  # the same, even inside a longer word

    # a postcode on its own, with or without its space, in any case
    out = d(st.sampled_from(LETTERS)) + d(st.sampled_from(["", *LETTERS])) + str(d(st.integers(1, 9)))
    out += d(st.sampled_from(["", "", "1", "4", "A"]))
    inw = str(d(st.integers(0, 9))) + d(st.sampled_from(LETTERS)) + d(st.sampled_from(LETTERS))
    postcode = out + d(st.sampled_from(["", " "])) + inw
    typed.append(case(out + d(st.sampled_from(SEPS[:4])) + inw))
    gone_spaced.append((out + inw).lower())
    # the outward code next to the town ('Leeds LS1')
    typed.append(case(f"Northtown{d(st.sampled_from([' ', ', ']))}{out}"))
    gone_spaced.append("northtown" + out.lower())

    # a street, stored one way ('Road') and typed another ('Rd'), with or without the house number
    full, short = d(st.sampled_from(STREETS))
    stored_type, typed_type = d(st.permutations([full, short]))
    number = f"{d(st.integers(1, 250))}{d(st.sampled_from(['', 'a', 'b']))}"
    flat = d(st.integers(1, 9))
    one_word = d(st.booleans())  # '14 Kingsway': a street of one word
    stored_street = name[0] if one_word else f"{name[0]} {stored_type}"
    address = f"Flat {flat}, {number} {stored_street}\nNorthtown\n{postcode}"
    street = f"{said[0]} {typed_type}{d(st.sampled_from(['', '.']))}"
    if one_word:
        street = d(st.sampled_from([said[0], f"{said[0]} shops", street]))
    typed.append(case(d(st.sampled_from([street, f"{number} {street}", f"no. {number}, {street}"]))))
    gone_words.append(ODD_NAMES.get(name[0], name[0]))
    # the house or flat number alone, with a word saying it is one ('Flat 3b', 'No. 14')
    house = d(st.sampled_from(["Flat", "flat", "No.", "no", "Number", "Apartment"]))
    typed.append(f"{house} {d(st.sampled_from([number, str(flat)]))}")
    gone_spaced += [f"flat{flat}", f"no{flat}", f"flat{number}", f"no{number}", f"number{number}"]
    gone_spaced += [f"apartment{number}", f"number{flat}", f"apartment{flat}"]

    # a refuge or new address with no digits at all ('Haven House', 'Larkspur Refuge')
    building = f"{name[1]} {d(st.sampled_from(BUILDINGS))}"
    refuge = d(st.sampled_from([building, f"{building}, Northtown", f"The {building}\nNorthtown"]))
    typed.append(case(f"{said[1]} {building.split()[1]}"))
    gone_words.append(ODD_NAMES.get(name[1], name[1]))

    # an escape route naming streets in abbreviations, typed in full
    full2, short2 = d(st.sampled_from(STREETS))
    route = f"Back door, along {name[2]} {short2} to the bus stop"
    typed.append(case(f"{said[2]} {full2}"))
    gone_words.append(ODD_NAMES.get(name[2], name[2]))

    # telephone numbers: 0, +44, 0044, +44 (0), any grouping and separators, stored one way, typed another
    national = "7700" + "".join(str(d(st.integers(0, 9))) for _ in range(6))
    other = "7700" + "".join(str(d(st.integers(0, 9))) for _ in range(6))

    def phone(national: str = national) -> str:
        prefix = d(st.sampled_from(["0", "+44", "+44 ", "0044 ", "0044", "+44 (0)", "(0)", "44 "]))
        digits, groups = national, []
        while digits:
            size = d(st.integers(1, 5))
            groups.append(digits[:size])
            digits = digits[size:]
        return prefix + d(st.sampled_from(SEPS[:5])).join(groups)

    safe_number = phone()
    typed.append(phone())
    gone_spaced.append(national)
    if d(st.booleans()):  # a safe number field holding two numbers; either typed alone
        joined = d(st.sampled_from([" / ", "/", " - ", " or ", ", ", "; ", " ", " and "]))
        safe_number = joined.join(d(st.permutations([safe_number, phone(other)])))
        typed.append(phone(other))
        gone_spaced.append(other)

    # a code word, stored plain or hyphenated, typed with separators anywhere and in any case
    a, b = d(st.permutations(CODE_PARTS))[:2]
    code_word = d(st.sampled_from([a + b, f"{a}-{b}", f"{a.title()} {b.title()}"]))
    chars = list(a + b)
    spelled = "".join(c + (d(st.sampled_from(SEPS)) if d(st.booleans()) else "") for c in chars)
    suffix = d(st.sampled_from(["", "", "s", "es", "2024", "7", "ing"]))  # 'bluebirds', 'BLUEBIRD2024'
    typed.append("".join(d(st.sampled_from(CASES))(c) for c in spelled) + suffix)
    gone_inside.append(a + b)

    # a child's school, typed as its name alone or with some of its usual words
    school = f"{name[3]} {d(st.sampled_from(SCHOOLS))}"
    typed.append(
        case(f"{said[3]}{d(st.sampled_from(['', ' Primary', ' school', ' Pri. Sch.', ' Academy']))}")
    )
    gone_words.append(ODD_NAMES.get(name[3], name[3]))

    values = {
        "client.address": address,
        "client.safe_number": safe_number,
        "client.code_word": code_word,
        "children.school": school,
        "safe.refuge_location": refuge,
        "safe.escape_route": route,
    }
    # any of them copied from a link or a form: percent-encoded ('blue%20bird', 'p%C3%AAche') or '+' for space
    encode = [lambda t: t, lambda t: quote(t, safe=""), lambda t: quote_plus(t, safe="")]
    typed = [d(st.sampled_from(encode))(t) for t in typed]
    glue = [d(st.sampled_from([" ", ", ", "; ", " and ", " (", ") "])) for _ in typed]
    text = "".join(g + t for g, t in zip(glue, typed, strict=True))
    return values, text, (gone_words, gone_spaced, gone_inside)


def _survivors(output: str, gone: tuple[list[str], list[str], list[str]]) -> list[str]:
    gone_words, gone_spaced, gone_inside = gone
    left = []
    for folded in (_folded(output), _folded(unquote_plus(unquote_plus(output)))):
        left += [w for w in gone_words if _folded(w) in folded]
        left += [s for s in gone_spaced if _spaced(s).search(folded)]
        left += [s for s in gone_inside if re.search(r"[^a-z0-9]*".join(map(re.escape, s)), folded)]
    return left


@settings(max_examples=400, deadline=None)
@given(safe_case())
def test_no_variant_of_any_kind_of_safe_value_survives(example):
    values, typed, gone = example
    text, found = redact(f"Notes:{typed}. End.", {k: [v] for k, v in values.items()})
    assert not _survivors(text, gone), text
    assert found and text.startswith("Notes:") and text.endswith(". End.")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(example=safe_case())
def test_no_variant_survives_into_any_export(session, example):
    """The same variants, typed into free text of a case, never reach the Marac referral, the research
    form, the client's copy of the plan (Markdown, HTML and the PDF's text) or the court summary."""
    import html
    import io

    import pypdf

    from dacli.services import issp, issp_copy
    from dacli.services.court import parse_hearing, record_hearing, summary
    from dacli.services.intake import intake, parse_intake
    from dacli.services.marac import parse_marac, parse_research, refer, research

    values, typed, gone = example
    today = clock.today()
    client = {
        "name": "Quorra Testperson-Alpha",
        "dob": dt.date(1987, 4, 12),
        "address": values["client.address"],
        "safe_number": values["client.safe_number"],
        "code_word": values["client.code_word"],
    }
    child = {
        "name": "Yoric Testperson-Beta",
        "dob": dt.date(2019, 8, 30),
        "school": values["children.school"],
    }
    form = {"client": client, "referral": {"date": today}, "children": [child]}
    ref = intake(session, parse_intake(form, today), new_case=True).case
    plan = {
        "actions": [{"risk": "Fear", "action": f"Agreed:{typed}", "comment": typed}],
        "advice": {"general_safety": typed},
        "safe": {
            "refuge_location": values["safe.refuge_location"],
            "escape_route": values["safe.escape_route"],
        },
    }
    issp.record(session, ref, issp.parse_issp(plan, today), today)
    hearing = {
        "kind": "criminal",
        "hearing_date": today,
        "court": "Example Magistrates",
        "type_of_hearing": "bail",
        "victim_informed": True,
        "bail_conditions": typed,
        "comments": typed,
    }
    record_hearing(session, ref, parse_hearing(hearing, today))
    marac = {
        "referred_on": today,
        "referring_agency": "Example Idva service",
        "contact_name": "Idva Testcase",
        "contact_details": "idva@example.invalid",
        "victim_aware": True,
        "consent_given": False,
        "afraid_of": typed,
        "additional_information": typed,
    }
    research_form = {
        "researched_on": today,
        "name_and_agency": "Idva Testcase",
        "contact_details": "idva@example.invalid",
        "other_information": typed,
    }
    outputs = {
        "marac referral": refer(session, ref, parse_marac(marac, today), [], None)[1],
        "marac research": research(session, ref, parse_research(research_form, today), [], None)[1],
        "court summary": summary(session, ref, [], None),
    }
    for fmt in ("md", "html", "pdf"):
        content = issp_copy.client_copy(session, ref, fmt, True, [], None, lambda _: None).content
        if fmt == "pdf":
            reader = pypdf.PdfReader(io.BytesIO(content))
            outputs[fmt] = "\n".join(p.extract_text() for p in reader.pages)
        else:
            outputs[fmt] = html.unescape(content.decode())
    for kind, output in outputs.items():
        assert "Agreed:" in output or kind not in ("md", "html", "pdf")  # the free text is there
        assert not _survivors(output, gone), (kind, output)
