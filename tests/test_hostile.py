"""Hostile input gets one sentence: every reader, every class of hostile text.

Every reader dacli has (each `--from` form, `dash score`, and the store's files: a record, the index, the
staff list, store.toml, policy.toml, audit lines, tombstones) is given control characters and escape
sequences, NUL, deep nesting, integers of thousands of digits, oversized text and arbitrary bytes. Each
run must end in a documented exit code with one line on stderr, no traceback, no escape character on any
output, and (when it is refused) no file of the store changed.

The hypothesis part keeps to a CI budget (about 45 s for the file): DACLI_HYPOTHESIS_EXAMPLES (default 20,
at most 50) examples a test, each sent to every reader of its kind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dacli.errors import IntegrityError, InvalidInput
from dacli.store import crypto
from tests.conftest import first_intake

TODAY = dt.date(2026, 11, 23)
DOCUMENTED = {2, 3, 4, 5, 6, 7, 8}
ESC = "\x1b]0;owned\x07\x1b[2J\x1b[31m"
PLACEHOLDER = "\N{REPLACEMENT CHARACTER}"
EXAMPLES = int(os.environ.get("DACLI_HYPOTHESIS_EXAMPLES", "20"))
BUDGET = settings(
    max_examples=min(EXAMPLES, 50),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _tree(root: Path) -> dict[str, str]:
    """A hash of every file under the store (locks aside: taking one is not a change)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock" and not p.name.endswith(".lock")
    }


def _one_sentence(result, code_set=DOCUMENTED) -> None:
    assert result.exit_code in code_set, (result.exit_code, result.stderr[-500:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dacli: "), result.stderr[-500:]
    assert "Traceback" not in result.stderr
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr


# --- hostile documents --------------------------------------------------------------------------------

NASTY = [ESC, "\x00", "\x9b31m", "\x1b", "a\x00b", "\x7f", "\x08\x08\x08", "\r\x1b[K"]
_toml_str = st.sampled_from(NASTY).map(lambda s: json.dumps(s))  # a TOML basic string with \u escapes


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


hostile_toml = st.one_of(
    # escape sequences and NUL in the fields a reader knows, and in keys
    st.builds(
        lambda section, key, value: f"[{section}]\n{key} = {value}\n",
        st.sampled_from(["client", "referral", "answers", "professional", "context", "advice", "safe"]),
        st.sampled_from(["name", "q1", "facts", "grid", "reasons", "general_safety", "date", "agency"]),
        _toml_str,
    ),
    st.builds(lambda value: f"name = {value}\nfacts = {value}\ngrid = {value}\n", _toml_str),
    st.builds(lambda value: f"{value} = 1\n", _toml_str),
    # nesting past any sane limit, and integers of thousands of digits
    st.integers(min_value=40, max_value=3000).map(lambda d: f"x = {_nested(d)}\n"),
    st.integers(min_value=40, max_value=900).map(lambda d: "x = " + "{a = " * d + "1" + "}" * d + "\n"),
    st.integers(min_value=20, max_value=6000).map(lambda n: f"x = {'9' * n}\n"),
    st.integers(min_value=20, max_value=6000).map(lambda n: f"[answers]\nq1 = {'9' * n}\n"),
    # oversized text
    st.sampled_from(["grid", "facts", "name"]).map(lambda key: f'{key} = "{"x" * 1_100_000}"\n'),
    st.builds(lambda v: f'[client]\nname = "{"Q" * v}"\n', st.integers(min_value=201, max_value=5000)),
    # anything at all
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
)
hostile_json = st.one_of(
    st.integers(min_value=40, max_value=200_000).map(_nested),
    st.integers(min_value=20, max_value=6000).map(lambda n: '{"answers": {"q1": ' + "9" * n + "}}"),
    st.sampled_from(NASTY).map(lambda s: json.dumps({"answers": {"q1": s}, s: s})),
    st.sampled_from(NASTY).map(lambda s: json.dumps({"professional": {"reasons": s}})),
    st.sampled_from(["[1, 2]", '"x"', "7", "null", '{"a": "\\ud800"}']),
    # shaped like an audit entry or a tombstone, with values of every wrong type
    st.fixed_dictionaries(
        {},
        optional={
            k: st.one_of(
                st.none(), st.integers(), st.lists(st.integers(), max_size=2), st.sampled_from(NASTY)
            )
            for k in (
                "seq",
                "at",
                "staff",
                "user",
                "action",
                "case",
                "record",
                "reason",
                "prev",
                "hash",
                "ref",
            )
        },
    ).map(json.dumps),
)


# --- stored text reaches no terminal -------------------------------------------------------------------


def _plant_old_text(session, ref: str) -> None:
    """An intake record as an older dacli would have written it: escape sequences in names and text."""
    name = first_intake(session.store.root / ref)

    def change(doc):
        doc["client"]["name"] = f"Quorra {ESC}Testperson-Alpha"
        doc["perpetrators"][0]["name"] = f"Vexley\x9b2J Testperson-Gamma{ESC}"
        doc["children"][0]["name"] = f"Yoric\x00 Testperson-Beta{ESC}"
        return doc

    session.update_record(ref, name, change)


def test_escape_sequences_in_stored_text_reach_no_output(session, case_ref, cli, tmp_path):
    """`case show`, `marac refer` and `court summary` printed an ESC/OSC sequence kept in a name: stored
    text can be old, so every control character but newline and tab is shown as a placeholder."""
    import tomli_w

    from tests.test_court import CRIMINAL
    from tests.test_marac import FORM

    _plant_old_text(session, case_ref)
    assert cli("court", "record", case_ref, "--from", "-", input=tomli_w.dumps(CRIMINAL)).exit_code == 0
    runs = {
        "case show": cli("case", "show", case_ref),
        "case show --json": cli("case", "show", case_ref, "--json"),
        "marac refer": cli("marac", "refer", case_ref, "--from", "-", input=tomli_w.dumps(FORM)),
        "court summary": cli("court", "summary", case_ref),
        "reindex": cli("reindex"),
        "case list": cli("case", "list", "--json"),
    }
    for what, result in runs.items():
        assert result.exit_code == 0, (what, result.stderr)
        out = result.stdout
        assert "\x1b" not in out and "\x9b" not in out and "\x00" not in out, what
    assert "Testperson-Alpha" in runs["case show"].stdout
    assert PLACEHOLDER in runs["case show"].stdout and PLACEHOLDER in runs["marac refer"].stdout
    # the layer under every output (exports, the dashboard): the record as read
    doc = session.read_record(case_ref, first_intake(session.store.root / case_ref))
    assert doc["client"]["name"].startswith(f"Quorra {PLACEHOLDER}]0;owned{PLACEHOLDER}")


def test_the_dashboard_shows_stored_escapes_as_placeholders(session, case_ref):
    """The dashboard reads cases through the services: what it is given holds no control character."""
    from dacli.services.case_view import show_case

    _plant_old_text(session, case_ref)
    view = show_case(session, case_ref)
    text = repr(view.summary) + repr(view.intakes)
    assert "\\x1b" not in text and "\\x9b" not in text and PLACEHOLDER in text


# --- forms: one place for each defence -----------------------------------------------------------------


def _intake(**client):
    from dacli.services.intake import parse_intake

    return parse_intake({"client": {"name": "Quorra Testperson-Alpha", **client},
                         "referral": {"date": TODAY}}, TODAY)  # fmt: skip


@pytest.mark.parametrize("bad", ["Quorra\x1b[2J", "Quorra\nTestperson", "Quorra\tTest", "Q\x00", "Q\x9b"])
def test_single_line_fields_refuse_control_characters(bad):
    with pytest.raises(InvalidInput, match="client.name: must be one line"):
        _intake(name=bad)


def test_narrative_fields_keep_newlines_and_tabs_but_refuse_escapes():
    from dacli.services.notes import parse_note

    now = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
    form = {"at": now, "initials": "QT", "contact_type": "telephone", "contact_with": "client"}
    note = parse_note({**form, "facts": "Called.\n\tNo answer."}, now)
    assert note.facts == "Called.\n\tNo answer."
    with pytest.raises(InvalidInput, match="facts: holds a control character"):
        parse_note({**form, "facts": "Called.\x1b]0;x\x07"}, now)
    with pytest.raises(InvalidInput, match="contact_with: must be one line"):
        parse_note({**form, "facts": "Called.", "contact_with": "client\nrisk: standard"}, now)


def test_every_text_field_has_a_limit():
    """A string field declares a limit of at most 20,000 characters, or is one line of at most 500
    (checked by the shared Strict base); the README documents both."""
    import importlib
    import pkgutil

    import annotated_types

    import dacli.schemas as schemas
    from dacli.schemas.common import LINE_MAX, TEXT_MAX, Strict

    for module in pkgutil.iter_modules(schemas.__path__):
        importlib.import_module(f"dacli.schemas.{module.name}")
    pending, models = list(Strict.__subclasses__()), []
    while pending:
        models.append(pending.pop())
        pending.extend(models[-1].__subclasses__())
    assert len(models) > 40
    for model in models:
        for name, field in model.model_fields.items():
            limits = [m.max_length for m in field.metadata if isinstance(m, annotated_types.MaxLen)]
            assert not limits or limits[0] <= TEXT_MAX, (model.__name__, name)
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert f"{LINE_MAX} characters" in readme and f"{TEXT_MAX:,} characters" in readme


@pytest.mark.parametrize(
    ("command", "text", "word"),
    [
        (("soag", "record"), 'grid = "' + "x" * 1_000_000 + '"\n', "longer than"),
        (("soag", "record"), 'grid = "' + "x" * 600 + '"\n', "grid: is longer than 500 characters"),
        (("issp", "record"), '[advice]\nhousing = "' + "x" * 25_000 + '"\n', "advice.housing"),
        (("note", "add"), 'facts = "a\\u0000b"\n', "NUL"),
        (("note", "add"), "facts = " + "[" * 100 + "]" * 100 + "\n", "deeper than 32"),
        (("note", "add"), "facts = " + "[" * 5000 + "]" * 5000 + "\n", "deeper than 32"),
        (("note", "add"), "x = " + "9" * 5000 + "\n", "integer too large"),
        (("note", "add"), "x = " + "9" * 30 + "\n", "integer too large"),
    ],
    ids=["1MB-grid", "long-grid", "long-advice", "nul", "deep-100", "deep-5000", "int-5000", "int-30"],
)
def test_oversized_nul_deep_and_huge_forms_are_one_sentence(cli, case_ref, store_path, command, text, word):
    before = _tree(store_path)
    result = cli(*command, case_ref, "--from", "-", input=text)
    _one_sentence(result, {2})
    assert word in result.stderr
    assert _tree(store_path) == before


def test_an_impossible_at_is_one_sentence(cli, case_ref, store_path):
    """`--at 0001-01-01T00:10+23:59` overflowed converting to UTC (OverflowError). The lead is rewriting
    `--at` for local time; until then the error boundary answers it (exit 2)."""
    before = _tree(store_path)
    result = cli(
        "note", "add", case_ref, "--type", "telephone", "--with", "client", "--text", "Called.",
        "--at", "0001-01-01T00:10+23:59",
    )  # fmt: skip
    _one_sentence(result, {2})
    assert _tree(store_path) == before


# --- audit and tombstone lines that are not objects ----------------------------------------------------


@pytest.mark.parametrize(
    "line",
    ["[1, 2]", '"text"', "7", "null", "[" * 5000 + "]" * 5000, "9" * 5000],
    ids=["list", "string", "number", "null", "deep", "int-5000"],
)
def test_audit_lines_that_are_not_entries_are_reported_not_crashed_on(cli, session, case_ref, line):
    log = next(session.store.audit_dir().glob("*.jsonl"))
    with open(log, "a") as f:
        f.write(line + "\n")
    shown = cli("audit", "show")
    assert shown.exit_code == 0, shown.stderr
    verified = cli("audit", "verify")
    assert verified.exit_code in (0, 6) and "Traceback" not in verified.stderr + verified.stdout
    assert "not a whole entry" in verified.stdout + verified.stderr


@pytest.mark.parametrize(
    "line",
    ["[1, 2]", '"text"', "7", '{"ref": [1]}', '{"prev": "0"}', "[" * 5000 + "]" * 5000],
    ids=["list", "string", "number", "ref-list", "no-ref", "deep"],
)
def test_tombstone_lines_that_are_not_tombstones_are_one_sentence(cli, store_path, case_ref, line):
    from dacli.store.retention import Tombstones

    (store_path / ".dacli" / "tombstones.jsonl").write_text(line + "\n")
    with pytest.raises(IntegrityError, match="tombstone register"):
        Tombstones(store_path / ".dacli")
    before = _tree(store_path)
    result = cli("audit", "verify")
    _one_sentence(result, {6})
    assert "tombstone register" in result.stderr
    assert _tree(store_path) == before


# --- every reader, driven by hypothesis ----------------------------------------------------------------

FROM_COMMANDS = [
    ("intake",),
    ("intake", "finish", "{ref}"),
    ("review", "{ref}"),
    ("close", "{ref}"),
    ("share-without-consent", "record", "{ref}"),
    ("soag", "record", "{ref}"),
    ("marac", "refer", "{ref}"),
    ("marac", "research", "{ref}"),
    ("dash", "record", "{ref}"),
    ("note", "add", "{ref}"),
    ("court", "record", "{ref}"),
    ("issp", "record", "{ref}"),
    ("consent", "record", "{ref}"),
]
documents = st.one_of(hostile_toml.map(str.encode), hostile_json.map(str.encode), st.binary(max_size=300))


def test_every_from_command_is_driven():
    """FROM_COMMANDS is every command taking --from (a new one must be added here)."""
    import re

    commands = Path(__file__).resolve().parent.parent / "dacli" / "commands"
    # `report`'s --from is the first day of a period, not a form
    source = "".join(p.read_text() for p in commands.glob("*.py") if p.name != "report.py")
    assert len(re.findall(r'"--from"', source)) == len(FROM_COMMANDS)


@BUDGET
@given(document=documents, from_file=st.booleans())
def test_every_reader_answers_hostile_text_in_one_sentence(
    cli, case_ref, store_path, tmp_path, document, from_file
):
    """Each example goes to every command that takes --from (a file, or standard input). A document can
    happen to be a valid form (`{}` is an unanswered checklist): then nothing may reach the terminal raw."""
    form = tmp_path / "form.toml"
    form.write_bytes(document)
    for command in FROM_COMMANDS:
        args = [a.format(ref=case_ref) for a in command]
        before = _tree(store_path)
        if from_file:
            result = cli(*args, "--from", str(form))
        else:
            result = cli(*args, "--from", "-", input=document)
        if result.exit_code == 0:
            assert "\x1b" not in result.stdout + result.stderr and "\x9b" not in result.stdout
            continue
        _one_sentence(result)
        assert _tree(store_path) == before, command


@BUDGET
@given(document=documents)
def test_dash_score_answers_hostile_text_in_one_sentence(cli, tmp_path, capsys, document):
    from dacli.dashscore import main as lean

    path = tmp_path / "checklist.toml"
    path.write_bytes(document)
    typed = cli("dash", "score", str(path))
    capsys.readouterr()
    code = lean([str(path)])
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err + typed.stdout and "Traceback" not in err
    if code == 0:  # an empty file, or bytes that happen to be an unanswered checklist
        assert typed.exit_code == 0 and not err
        return
    _one_sentence(typed, {2})
    assert code == 2 and err.count("\n") == 1 and err.startswith("dacli: "), (code, err)


def _seal_record(session, ref: str, name: str, body: bytes) -> bytes:
    signed = session._signed("record", body, ref, name)
    return crypto.encrypt(signed, [session.case_ring(ref).current.public])


def _seal_index(session, body: bytes) -> bytes:
    return crypto.encrypt(session._signed("index", body), [session.identity.public])


STORE_FILES = [
    "record", "index", "listing", "staff", "staff-signed", "store", "policy", "audit", "tombstones",
]  # fmt: skip


def _plant(session, ref: str, which: str, document: bytes) -> tuple[Path, list[str]]:
    """Write ``document`` (signed and encrypted where the real file is) in place of one store file; the
    path and a command that reads it."""
    meta, root = session.store.meta, session.store.root
    if which == "record":
        name = "note-20261101T100000-abcd.toml.age"
        head = f'schema = "note/1"\ncase = "{ref}"\n'.encode()
        path = root / ref / name
        path.write_bytes(_seal_record(session, ref, name, head + document))
        return path, ["case", "show", ref]
    if which == "index":  # this person's caseload index, on this computer (outside the store)
        from tests.conftest import local_index_files

        session.read_index()
        (path,) = local_index_files(root)
        path.write_bytes(_seal_index(session, document))
        return path, ["case", "list", "--json"]  # the full rows: the listing alone does not read the index
    if which == "listing":  # what a caseload shows, beside the index
        session.read_listing()
        path = session._listing_path()
        path.write_bytes(crypto.encrypt(session._signed("listing", document), [session.identity.public]))
        return path, ["case", "list"]
    if which == "staff":
        path = meta / "staff.toml"
        path.write_bytes(document)
        return path, ["user", "list"]
    if which == "staff-signed":
        path = meta / "staff.toml"
        path.write_bytes(session._signed("staff", document))
        return path, ["case", "show", ref]
    if which == "store":
        path = meta / "store.toml"
        path.write_bytes(document)
        return path, ["settings", "show"]
    if which == "policy":
        path = meta / "policy.toml"
        path.write_bytes(session._signed("policy", document))
        return path, ["case", "show", ref]
    if which == "audit":
        path = next(session.store.audit_dir().glob("*.jsonl"))
        with open(path, "ab") as f:
            f.write(document.replace(b"\n", b" ") + b"\n")
        return path, ["audit", "verify"]
    path = meta / "tombstones.jsonl"
    path.write_bytes(document.replace(b"\n", b" ") + b"\n")
    return path, ["audit", "verify"]


@BUDGET
@given(document=documents)
def test_every_store_file_answers_hostile_text_in_one_sentence(session, case_ref, cli, store_path, document):
    """Each example is planted in every store file in turn (signed where the file is signed, so it reaches
    the parser), and a command that reads that file is run; the store is put back after each."""
    saved = {p: p.read_bytes() for p in store_path.rglob("*") if p.is_file()}
    for which in STORE_FILES:
        try:
            _, command = _plant(session, case_ref, which, document)
            before = _tree(store_path)
            result = cli(*command)
            if which == "audit":  # a line that is not an entry is reported by verify, not an error
                out = result.stdout + result.stderr
                assert result.exit_code in (0, 6) and "\x1b" not in out and "Traceback" not in out
                assert "not a whole entry" in out or "changed after" in out or "names" in out, out
                shown = cli("audit", "show")
                assert shown.exit_code == 0, shown.stderr
                assert "\x1b" not in shown.stdout and "\x9b" not in shown.stdout
                continue
            if result.exit_code == 0:  # a document that happens to be good (an empty policy: the defaults)
                assert "\x1b" not in result.stdout + result.stderr and "\x9b" not in result.stdout
                continue
            _one_sentence(result)
            assert _tree(store_path) == before, which
        finally:
            for p in list(store_path.rglob("*")):
                if p.is_file() and p not in saved:
                    p.unlink()
            for p, data in saved.items():
                p.write_bytes(data)


def test_text_given_as_an_option_is_checked_like_a_form(cli, case_ref, store_path):
    """A record made from options (a hold's reason, a follow-up's outcome) is new text: checked as input,
    refused in one sentence (it was validated as a stored record, so an escape sequence went in)."""
    before = _tree(store_path)
    result = cli("hold", "add", case_ref, "--reason", f"review {ESC}")
    _one_sentence(result, {2})
    assert "reason: holds a control character" in result.stderr
    assert _tree(store_path) == before
    assert cli("hold", "add", case_ref, "--reason", "domestic homicide review").exit_code == 0


@pytest.mark.parametrize(
    "content",
    ['{"key_epoch": "x"}', '{"removed": 5}', "[1]", "9" * 5000, "\x80"],
    ids=["epoch-text", "removed-number", "list", "int-5000", "not-utf8"],
)
def test_a_damaged_seen_file_is_forgotten_not_crashed_on(cli, store, case_ref, content):
    """The computer's memory of the staff list (in the user's data folder) is read with the same care."""
    path = Path(os.environ["XDG_DATA_HOME"]) / "dacli" / "seen" / f"{store.settings.store_id}.json"
    assert path.exists()
    path.write_bytes(content.encode("latin-1"))
    result = cli("case", "list")
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    "document",
    [b'{"schema": "caseload-index/4", "cases": []}', b'{"schema": "caseload-index/4", "cases": {"x": []}}',
     b'{"schema": "caseload-index/4", "cases": {}, "stamps": []}',
     b'{"schema": "caseload-index/4", "cases": {}, "stamps": {}, "unreadable": []}',
     b'{"schema": "caseload-index/4", "cases": {"x": {}}, "stamps": {}}', b'[]', b'{"schema": 4}'],
)  # fmt: skip
def test_an_index_of_the_wrong_shape_is_rebuilt_from_the_records(session, case_ref, cli, document):
    """Found by the store-file property test: a signed index whose parts are of the wrong kind stopped
    `case list` on an AttributeError (exit 70). The index is this computer's cache of the records: one it
    cannot use is built again from them, and the caseload lists the case."""
    _plant(session, case_ref, "index", document)
    listed = cli("case", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert [row["ref"] for row in json.loads(listed.stdout)] == [case_ref]


def test_an_audit_line_naming_a_case_of_the_wrong_kind_is_shown_not_crashed_on(session, case_ref, cli):
    """Found by the store-file property test in CI: a line whose 'case' is a list stopped `audit show` on a
    TypeError (exit 70)."""
    _plant(session, case_ref, "audit", b'{"seq": null, "case": [1, 1], "hash": null, "prev": null}')
    shown = cli("audit", "show")
    assert shown.exit_code == 0, shown.stderr


AUDIT_KEYS = ["seq", "at", "staff", "user", "machine", "action", "case", "record", "reason", "detail", "prev",
              "hash", "sig", "held"]  # fmt: skip
WRONG_KINDS = [None, [1, 1], {"a": 1}, 7, "x", True, 10**30]


@pytest.mark.parametrize("key", AUDIT_KEYS)
def test_an_audit_line_with_any_field_of_the_wrong_kind_is_shown_and_verified_not_crashed_on(
    session, case_ref, cli, store_path, key
):
    """The class of the line above, field by field: every field of an audit line, of every wrong kind."""
    log = next(session.store.audit_dir().glob("*.jsonl"))
    whole = log.read_bytes()
    for value in WRONG_KINDS:
        entry = json.loads(whole.splitlines()[-1])
        entry[key] = value
        log.write_bytes(whole + json.dumps(entry).encode() + b"\n")
        for command in (
            ("audit", "show"),
            ("audit", "show", "--json"),
            ("audit", "verify"),
            ("case", "list"),
        ):
            result = cli(*command)
            assert result.exit_code in (0, 6), (key, value, command, result.stderr)
            assert "\x1b" not in result.stdout + result.stderr
        log.write_bytes(whole)


TOMBSTONE_KEYS = ["mode", "rule", "keep_until", "as_of", "purged_at", "by", "id"]


@pytest.mark.parametrize("key", TOMBSTONE_KEYS)
def test_a_chained_tombstone_with_any_field_of_the_wrong_kind_is_not_crashed_on(
    session, case_ref, cli, store_path, key
):
    """Someone with folder access can chain a tombstone by hand (its hash is not keyed): whatever kind each
    field holds, the readers answer with a documented code."""
    from dacli.store.retention import append_tombstone

    path = store_path / ".dacli" / "tombstones.jsonl"
    for value in WRONG_KINDS:
        path.unlink(missing_ok=True)
        tomb = {"ref": case_ref, "mode": "destroy", "rule": "six years", "keep_until": None,
                "as_of": "2026-11-23", "purged_at": "2026-11-23", "by": "sweep", "id": "ab"}  # fmt: skip
        tomb[key] = value
        append_tombstone(store_path / ".dacli", tomb)
        for command in (("audit", "verify"), ("audit", "show"), ("case", "list"), ("case", "show", case_ref)):
            result = cli(*command)
            assert result.exit_code in (0, 5, 6), (key, value, command, result.stderr)
    path.unlink()
