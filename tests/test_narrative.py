"""Case narrative given to an option (a reason, a comment, an outcome) never has to be typed on the command
line, where it stays in shell history and shows in the process list: `-` reads it from standard input,
`@FILE` from a file, and left out it is asked for on a terminal, as notes are. Off a terminal, a required
one left out is one sentence (exit 2); an optional one is left blank."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dacli import clock
from tests.conftest import MANAGER, PASSPHRASE

PW = "another long passphrase"
TEXT = "Narrative-Marker for Quorra Testperson-Alpha"


def _case(session) -> str:
    from dacli.services.intake import intake, parse_intake

    today = clock.today()
    form = {"client": {"name": "Quorra Testperson-Alpha", "dob": dt.date(1987, 4, 12),
                       "address": "14 Testcase Road"},
            "referral": {"date": today - dt.timedelta(days=3)}}  # fmt: skip
    return intake(session, parse_intake(form, today), new_case=True).case


def _closed(session) -> str:
    from dacli.services.review import close_case, parse_exit
    from tests.test_review_close import EXIT

    ref = _case(session)
    today = clock.today()
    close_case(session, ref, parse_exit(EXIT, today), today)
    return ref


def _planned(session) -> str:
    from dacli.services import issp

    ref = _case(session)
    today = clock.today()
    plan = {"actions": [{"risk": "Fear", "action": "See GP"}], "safe": {"code_word": "lantern"}}
    issp.record(session, ref, issp.parse_issp(plan, today), today)
    return ref


def _caseworker(cli) -> None:
    assert (
        cli("user", "add", "cw1", "--role", "caseworker", extra_env={"DACLI_NEW_PASSPHRASE": PW}).exit_code
        == 0
    )


def _form(tmp_path, data: dict) -> str:
    import tomli_w

    path = tmp_path / "form.toml"
    path.write_text(tomli_w.dumps(data))
    return str(path)


def hold_add(session, cli, tmp_path):
    return ["hold", "add", _case(session)], "--reason", True


def hold_remove(session, cli, tmp_path):
    from dacli.services.retention import add_hold

    ref = _case(session)
    return ["hold", "remove", ref, add_hold(session, ref, "Review pending")], "--reason", True


def reopen(session, cli, tmp_path):
    return ["reopen", _closed(session)], "--reason", True


def follow_up(session, cli, tmp_path):
    return ["follow-up", _closed(session), "--reached"], "--outcome", False


def issp_complete(session, cli, tmp_path):
    return ["issp", "complete", _planned(session), "--action", "1"], "--comment", False


def sign_off(session, cli, tmp_path):
    from dacli.services.sharing import parse_share, share_without_consent
    from tests.test_sharing import FORM, NOW

    ref = _case(session)
    _caseworker(cli)
    caseworker = session.store.unlock("cw1", PW)
    name, _ = share_without_consent(caseworker, ref, parse_share(FORM, NOW))
    return ["share-without-consent", "sign-off", ref, name], "--comment", False


def marac_refer(session, cli, tmp_path):
    from tests.test_marac import FORM

    form = _form(tmp_path, {**FORM, "referred_on": clock.today()})
    return ["marac", "refer", _case(session), "--from", form, "--release", "client.address"], "--reason", True


def marac_research(session, cli, tmp_path):
    from tests.test_marac import RESEARCH

    form = _form(tmp_path, {**RESEARCH, "researched_on": clock.today()})
    return (
        ["marac", "research", _case(session), "--from", form, "--release", "client.address"],
        "--reason",
        True,
    )


def court_summary(session, cli, tmp_path):
    return ["court", "summary", _case(session), "--release", "client.address"], "--reason", True


def issp_export(session, cli, tmp_path):
    ref = _planned(session)
    args = ["issp", "export", ref, "--safe-to-take-home", "yes", "--release", "safe.code_word"]
    return args, "--reason", True


def user_remove(session, cli, tmp_path):
    _caseworker(cli)
    return ["user", "remove", "cw1"], "--reason", True  # a removal is a decision: its reason is needed


def note_text(session, cli, tmp_path):
    args = ["note", "add", _case(session), "--type", "telephone", "--with", "client", "--opinion", "None."]
    return args, "--text", None  # left out, the note's facts are asked for as before


def note_opinion(session, cli, tmp_path):
    args = ["note", "add", _case(session), "--type", "telephone", "--with", "client", "--text", "Call."]
    return args, "--opinion", False


def contact_name(session, cli, tmp_path):
    return ["contact", "add", _case(session), "--agency", "Police", "--comments", "None."], "--name", False


COMMANDS = [
    note_text, note_opinion, contact_name, hold_add, hold_remove, reopen, follow_up, issp_complete,
    sign_off, marac_refer, marac_research, court_summary, issp_export, user_remove,
]  # fmt: skip


def _stored(store_path) -> str:
    """Everything dacli keeps, decrypted: every record of every case and every audit reason."""
    from dacli.services.admin import audit_entries
    from dacli.store.store import Store

    session = Store(store_path).unlock(MANAGER, PASSPHRASE)
    texts = [str(e.get("reason")) for e in audit_entries(session)]
    for folder in store_path.glob("DA-*"):
        for record in folder.glob("*.toml.age"):
            if record.name != "case.toml.age":
                texts.append(json.dumps(session.read_record(folder.name, record.name), default=str))
    return "\n".join(texts)


@pytest.mark.parametrize("way", ["stdin", "file", "prompt"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda f: f.__name__)
def test_narrative_options_are_read_from_stdin_a_file_or_asked(
    command, way, session, cli, tmp_path, store_path, monkeypatch
):
    args, option, _ = command(session, cli, tmp_path)
    text = f"{TEXT} ({command.__name__}, {way})"
    if way == "stdin":
        done = cli(*args, option, "-", input=text + "\n")
    elif way == "file":
        note = tmp_path / "reason.txt"
        note.write_text(text + "\n")
        done = cli(*args, option, f"@{note}")
    else:
        monkeypatch.setattr("dacli.commands.common._interactive", lambda: True)
        done = cli(*args, input=text + "\n")
    assert done.exit_code == 0, done.stderr
    assert text in _stored(store_path)
    assert text not in " ".join(args)


@pytest.mark.parametrize("command", COMMANDS[1:], ids=lambda f: f.__name__)
def test_left_out_off_a_terminal_a_required_one_is_one_sentence(command, session, cli, tmp_path, store_path):
    args, option, required = command(session, cli, tmp_path)
    done = cli(*args)
    if required:
        assert done.exit_code == 2
        assert done.stderr.strip() == (
            f"dacli: {option} is needed: give it as `{option} -` (standard input) or `{option} @FILE`, "
            "or run in a terminal to be asked."
        )
    else:
        assert done.exit_code == 0, done.stderr


def test_a_missing_file_or_an_empty_text_is_one_sentence(session, cli, tmp_path):
    args, _, _ = hold_add(session, cli, tmp_path)
    missing = cli(*args, "--reason", f"@{tmp_path / 'nothing.txt'}")
    assert missing.exit_code == 5 and "no such file" in missing.stderr
    empty = cli(*args, "--reason", "-", input="  \n")
    assert empty.exit_code == 2 and "--reason is empty" in empty.stderr
    literal = cli(*args, "--reason", "@@home visit")  # '@@' for a text that starts with '@'
    assert literal.exit_code == 0


def test_only_one_option_reads_standard_input(session, cli, tmp_path):
    import tomli_w

    from tests.test_marac import FORM

    ref = _case(session)
    args = ["marac", "refer", ref, "--from", "-", "--release", "client.address", "--reason", "-"]
    both = cli(*args, input=tomli_w.dumps({**FORM, "referred_on": clock.today()}))
    assert both.exit_code == 2 and "Only one of the form and --reason" in both.stderr
