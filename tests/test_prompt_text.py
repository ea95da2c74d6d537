"""Prompts for narrative text: pasted lines are one answer and none reach the shell; options are checked
before anything is asked; the phone intake asks a refused answer again instead of losing the call.

Every person here is synthetic."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

import pytest

FACTS = ["Quorra Testperson-Alpha rang from a safe phone.", "", "She will call back on Friday."]


def _pending(fd: int) -> bool:
    """Whether the terminal holds input nobody read (what a shell would read and run next)."""
    ready, _, _ = select.select([fd], [], [], 0.2)
    return bool(ready)


def _in_terminal(env: dict, args: list[str], typed: str = "", after: str | None = None, answer: str = ""):
    """Run dacli on a pseudo-terminal: ``typed`` is in the terminal before dacli reads anything (pasted
    ahead); when ``after`` appears in the output, ``answer`` is typed. Returns (exit code, output, whether
    input was left unread in the terminal after dacli ended)."""
    master, slave = os.openpty()
    merged = {k: v for k, v in os.environ.items() if not k.startswith("DACLI_")}
    merged.update(env)
    if typed:
        os.write(master, typed.encode())
    proc = subprocess.Popen(
        [sys.executable, "-m", "dacli", *args], stdin=slave, stdout=slave, stderr=slave, env=merged
    )
    out = b""
    sent = after is None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    break
            if not sent and after.encode() in out:
                os.write(master, answer.encode())
                sent = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=5)
        left = _pending(slave)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        os.close(slave)
    return code, out.decode(errors="replace"), left


def _notes(cli, ref: str) -> list[dict]:
    return json.loads(cli("note", "list", ref, "--json").stdout)


def test_pasted_lines_at_a_terminal_are_all_the_facts_and_none_reach_the_shell(env, cli, case_ref):
    pasted = "\n".join(FACTS) + "\n\x04"  # pasted, then Ctrl-D on an empty line
    code, out, left = _in_terminal(
        env,
        ["note", "add", case_ref, "--type", "telephone", "--with", "client"],
        after="Case note (facts)",
        answer=pasted + "\x04",  # and Ctrl-D again: no professional opinion
    )
    assert code == 0, out
    assert "Ctrl-D on an empty line" in out
    assert not left  # nothing pasted is left for the shell to run
    [note] = _notes(cli, case_ref)
    assert note["facts"] == "\n".join(FACTS)
    assert "opinion" not in note or not note["opinion"]


def test_a_refusal_at_a_terminal_discards_what_was_typed_ahead(env, cli, case_ref):
    code, out, left = _in_terminal(
        env,
        ["note", "add", case_ref, "--type", "phone", "--with", "client"],
        typed="first line\nsecond line\nrm -rf ~/third-line\n",
    )
    assert code == 2, out
    assert "contact_type" in out
    assert not left
    assert _notes(cli, case_ref) == []


def test_pasted_lines_off_a_terminal_are_one_answer_blank_lines_kept(cli, case_ref):
    made = cli(
        "note", "add", case_ref, "--type", "telephone", "--with", "client", input="\n".join(FACTS) + "\n"
    )
    assert made.exit_code == 0, made.stderr
    [note] = _notes(cli, case_ref)
    assert note["facts"] == "\n".join(FACTS)


def test_empty_facts_are_refused_not_saved(cli, case_ref):
    made = cli("note", "add", case_ref, "--type", "telephone", "--with", "client", input="\n\n.\n")
    assert made.exit_code == 2
    assert _notes(cli, case_ref) == []


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [("--type", "phone", "contact_type"), ("--code", "ZZ", "activities"), ("--initials", "Q1", "initials")],
)
def test_note_options_are_checked_before_the_note_is_asked_for(cli, case_ref, option, value, field):
    args = ["note", "add", case_ref, "--type", "telephone", "--with", "client", option, value]
    made = cli(*args, input="Quorra Testperson-Alpha rang.\n")
    assert made.exit_code == 2
    assert field in made.stderr
    assert "Case note (facts)" not in made.stderr + made.stdout


def test_note_at_in_the_future_is_refused_before_the_note_is_asked_for(cli, case_ref):
    made = cli("note", "add", case_ref, "--type", "telephone", "--with", "client", "--at", "2030-01-01T10:00",
               input="Quorra Testperson-Alpha rang.\n")  # fmt: skip
    assert made.exit_code == 2
    assert "Case note (facts)" not in made.stderr + made.stdout


@pytest.mark.parametrize(
    ("args", "asked", "exit_code"),
    [
        (["reopen", "DA-7K3M9-QXP2T"], "Why is the case reopened", 5),
        (["hold", "add", "DA-7K3M9-QXP2T"], "Why is the case held", 5),
        (["share-without-consent", "sign-off", "DA-7K3M9-QXP2T", "share-x"], "Your review", 5),
        (["user", "remove", "nobody-here"], "Why is this person removed", 3),
        (["contact", "add", "DA-7K3M9-QXP2T", "--agency", "Police"], "Name (blank", 5),
    ],
)
def test_other_commands_check_before_asking(env, args, asked, exit_code):
    code, out, left = _in_terminal(env, args, typed="A reason typed ahead.\n\x04")
    assert code == exit_code, out
    assert asked not in out
    assert not left


URGENT = [
    "Hollis Testcase",  # name
    "07000 111111",  # safe number
    "after 6pm",  # safe time to call
    "heron",  # code word
    "y",  # significant concerns
    "staff safety issues",
    "",
    "and a second paragraph",
    ".",  # the end of the concerns
]


def _intake_ref(made) -> str:
    return json.JSONDecoder().raw_decode(made.stdout[made.stdout.index("{\n") :])[0]["case"]


def test_urgent_part_asks_a_future_referral_date_again_and_keeps_the_rest(cli):
    answers = URGENT + ["2026-11-30", "14:30", "police"] + ["2026-11-22", "14:30"] + ["n"]
    made = cli("intake", "--json", input="\n".join(answers) + "\n")
    assert made.exit_code == 0, made.stderr
    assert "referral.date is in the future" in made.stderr
    shown = json.loads(cli("case", "show", _intake_ref(made), "--json").stdout)
    intake = shown["intakes"][0]
    assert intake["referral"]["date"] == "2026-11-22"
    assert intake["client"]["code_word"] == "heron"
    assert intake["concerns"]["details"] == "staff safety issues\n\nand a second paragraph"


def test_urgent_part_asks_a_too_long_safe_number_again(cli):
    answers = (
        ["Hollis Testcase", "0" * 60, "07000 111111"] + URGENT[2:] + ["2026-11-22", "14:30", "police", "n"]
    )
    made = cli("intake", "--json", input="\n".join(answers) + "\n")
    assert made.exit_code == 0, made.stderr
    assert "Intake refused" not in made.stderr
    shown = json.loads(cli("case", "show", _intake_ref(made), "--json").stdout)
    assert shown["intakes"][0]["client"]["safe_number"] == "07000 111111"


def test_a_referral_time_later_than_now_today_is_asked_again(cli):
    # the clock is pinned at 12:00 UTC on 2026-11-23 (12:00 in London in November)
    answers = URGENT + ["2026-11-23", "18:30", "police"] + ["2026-11-23", "09:15"] + ["n"]
    made = cli("intake", "--json", input="\n".join(answers) + "\n")
    assert made.exit_code == 0, made.stderr
    assert "referral.time is in the future" in made.stderr
    shown = json.loads(cli("case", "show", _intake_ref(made), "--json").stdout)
    assert shown["intakes"][0]["referral"]["time"] == "09:15:00"


def test_rule_refuses_a_referral_moment_in_the_future():
    import datetime as dt

    from dacli.rules.intake import intake_problems
    from dacli.schemas.intake import IntakeForm

    form = IntakeForm.model_validate(
        {"client": {"name": "Hollis Testcase"}, "referral": {"date": "2026-11-23", "time": "18:30"}}
    )
    noon = dt.datetime(2026, 11, 23, 12, 0)
    assert "referral.time is in the future." in intake_problems(form, noon.date(), noon)
    evening = dt.datetime(2026, 11, 23, 19, 0)
    assert intake_problems(form, evening.date(), evening) == []
