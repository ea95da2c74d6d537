"""`dacli dash score FILE|-`: score a Dash checklist from a file, with no store and no passphrase.

This is the lean path: it imports the standard library and `dacli.rules.dash` only (no typer, pydantic,
crypto or store), and `dacli.entry` dispatches to it before anything else loads, so scoring a file starts
about as fast as a small Python script. The typer command `dacli dash score` (used when global options such
as `--store` come first, or with `--case`) calls the same `read_checklist` and `render` functions, so the two
paths cannot disagree.

Input (TOML, or JSON):

    [answers]            # q1 .. q24 = "yes" | "no" | "dont-know"; a question left out is unanswered
    q1 = "yes"
    [context]            # all optional
    police_incidents_past_12_months = 2
    last_marac_referral = 2026-03-01
    assessed_on = 2026-11-23          # default: today
    [professional]       # all optional
    marac_grounds = true
    reasons = "..."
    level = "medium"                  # the practitioner's own level: standard, medium or high
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

from dacli import clock
from dacli.rules.dash import DashInput, DashInputError, DashResult, DashRules, score
from dacli.schemas.dash_bank import ATTRIBUTION
from dacli.schemas.dash_bank import DASH_VERSION as VERSION
from dacli.text import CONTROL, MAX_FORM_CHARS, Refused, load_json, load_toml, one_line

# The same file `dacli dash record --from` takes: answers may be tables with a comment, a source and ticks,
# and the context and professional section may carry what a recorded checklist keeps.
SECTIONS = {
    "answers": {f"q{n}" for n in range(1, 25)},
    "context": {
        "police_incidents_past_12_months",
        "last_marac_referral",
        "assessed_on",
        "new_incident",
        "child_made_call",
        "child_injured",
        "child_used_as_shield",
    },
    "professional": {
        "marac_grounds",
        "reasons",
        "level",
        "other_relevant_information",
        "victim_situation",
        "abuser_access_to_weapons",
        "victim_priorities",
        "marac_referral_made",
        "children_at_risk",
        "children_referral_made",
        "children_referral_date",
        "practitioners_notes",
    },
}
ANSWER_KEYS = {"answer", "comment", "source", "ticks"}
USAGE = """\
Usage: dacli dash score [OPTIONS] FILE|-

  Score a SafeLives Dash checklist (TOML or JSON) without a store: the yes count, gaps, Marac criteria
  and the risk level. With --case REF (and a store), score a case's latest checklist.

Options:
  --json                 Machine-readable output.
  --medium-band MIN-MAX  Turn on a local medium band (e.g. 10-13): suggests, never lowers.
  --help                 Show this message and exit.
"""


def parse(text: str, name: str) -> dict[str, Any]:
    if len(text) > MAX_FORM_CHARS:
        raise DashInputError(f"{name} is longer than any checklist ({MAX_FORM_CHARS:,} characters at most).")
    try:
        if text.lstrip().startswith("{"):
            data = load_json(text, name)
            if not isinstance(data, dict):
                raise DashInputError(f"{name} must hold a JSON object.")
            return data
        return load_toml(text, name)
    except Refused as exc:
        raise DashInputError(str(exc)) from None


def _date(value: Any, key: str) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise DashInputError(f"{key}: {value!r} is not a date (YYYY-MM-DD).")


def read_checklist(data: dict[str, Any], today: date) -> DashInput:
    """Check every key and value; the error names the first bad one."""
    checklist = data.get("checklist", VERSION)
    if checklist != VERSION:
        raise DashInputError(f"checklist: {checklist!r} is not a version dacli knows ({VERSION}).")
    for section in data:
        if section in ("checklist", "assessed_on"):
            continue
        if section not in SECTIONS:
            raise DashInputError(
                f"{section} is not a section of a Dash checklist (answers, context, professional)."
            )
        if not isinstance(data[section], dict):
            raise DashInputError(f"{section} must be a table of keys.")
        for key in data[section]:
            if key not in SECTIONS[section]:
                raise DashInputError(f"{section}.{key} is not a key dacli knows.")
    answers: dict[int, str] = {}
    for key, value in data.get("answers", {}).items():
        if isinstance(value, dict):
            extra = set(value) - ANSWER_KEYS
            if extra:
                raise DashInputError(f"answers.{key}.{sorted(extra)[0]} is not a key dacli knows.")
            value = value.get("answer")
        if value not in ("yes", "no", "dont-know"):
            raise DashInputError(f"answers.{key}: {value!r} is not yes, no or dont-know.")
        answers[int(key[1:])] = value
    context = data.get("context", {})
    incidents = context.get("police_incidents_past_12_months")
    if incidents is not None and (not isinstance(incidents, int) or isinstance(incidents, bool)):
        raise DashInputError(f"context.police_incidents_past_12_months: {incidents!r} is not a whole number.")
    last = context.get("last_marac_referral")
    assessed = context.get("assessed_on", data.get("assessed_on"))
    assessed_on = _date(assessed, "context.assessed_on") if assessed is not None else today
    if assessed_on > today:
        raise DashInputError("context.assessed_on is in the future.")
    prof = data.get("professional", {})
    grounds = prof.get("marac_grounds", False)
    if not isinstance(grounds, bool):
        raise DashInputError(f"professional.marac_grounds: {grounds!r} is not true or false.")
    reasons = prof.get("reasons")
    if reasons is not None and not isinstance(reasons, str):
        raise DashInputError("professional.reasons must be text.")
    if reasons is not None and (CONTROL.search(reasons) or len(reasons) > 20_000):
        raise DashInputError(
            "professional.reasons must be text of at most 20,000 characters, without control characters."
        )
    level = prof.get("level")
    if level is not None and level not in ("standard", "medium", "high"):
        raise DashInputError(f"professional.level: {level!r} is not standard, medium or high.")
    return DashInput(
        answers=answers,
        assessed_on=assessed_on,
        police_incidents_past_12_months=incidents,
        last_marac_referral=_date(last, "context.last_marac_referral") if last is not None else None,
        marac_grounds=grounds,
        reasons=reasons,
        level=level,
    )


def as_json(result: DashResult, data: DashInput) -> dict[str, Any]:
    return {
        "checklist": VERSION,
        "assessed_on": data.assessed_on.isoformat(),
        "yes": result.yes,
        "dont_know": result.dont_know,
        "unanswered": result.unanswered,
        "visible_high_risk": result.visible_high_risk,
        "marac_criteria": [c.name for c in result.marac_criteria],
        "marac_reasons": [{"criterion": c.name, "reason": c.reason} for c in result.marac_criteria],
        "refer_to_marac": result.refer_to_marac,
        "risk_level": result.risk_level,
        "band_suggestion": result.band_suggestion,
        "recommendation": result.recommendation,
        "notes": result.notes,
        "attribution": ATTRIBUTION,
    }


def render(result: DashResult, data: DashInput) -> str:
    def qs(numbers: list[int]) -> str:
        return ", ".join(f"q{n}" for n in numbers) if numbers else "none"

    lines = [
        f"SafeLives Dash risk checklist ({VERSION}), assessed {data.assessed_on.isoformat()}",
        f"Yes answers: {result.yes} of 24" + ("  (visible high risk)" if result.visible_high_risk else ""),
        f"Don't know: {qs(result.dont_know)}",
        f"Unanswered: {qs(result.unanswered)}",
    ]
    if result.marac_criteria:
        lines.append("Marac referral criteria met:")
        lines += [f"  - {c.name.replace('_', ' ')}: {c.reason}" for c in result.marac_criteria]
    else:
        lines.append("Marac referral criteria met: none")
    if result.band_suggestion:
        lines.append(f"Local medium band suggests: {result.band_suggestion}")
    lines.append(f"Risk level: {result.risk_level}")
    lines.append(f"Recommendation: {result.recommendation}")
    lines += [f"Note: {n}" for n in result.notes]
    lines.append(ATTRIBUTION)
    return "\n".join(lines)


def band_rules(spec: str | None) -> DashRules:
    if spec is None:
        return DashRules()
    try:
        low, high = (int(x) for x in spec.split("-", 1))
        if not 1 <= low <= high <= 24:
            raise ValueError
    except ValueError:
        raise DashInputError(f"--medium-band: {spec!r} is not a range such as 10-13.") from None
    return DashRules(medium_band_enabled=True, medium_band_min=low, medium_band_max=high)


def score_text(text: str, name: str, today: date, rules: DashRules) -> tuple[DashResult, DashInput]:
    data = read_checklist(parse(text, name), today)
    return score(data, rules), data


def main(argv: list[str]) -> int:
    """The lean `dacli dash score` (argv after 'dash score'). Returns the exit code."""
    as_json_out, band, paths = False, None, []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("--help", "-h"):
            sys.stdout.write(USAGE)
            return 0
        if arg == "--json":
            as_json_out = True
        elif arg == "--medium-band":
            if not args:
                return _fail("--medium-band needs a range such as 10-13.", 2)
            band = args.pop(0)
        elif arg.startswith("--medium-band="):
            band = arg.split("=", 1)[1]
        elif arg.startswith("-") and arg != "-":
            return _fail(f"no such option: {arg} (see dacli dash score --help).", 2)
        else:
            paths.append(arg)
    if len(paths) != 1:
        return _fail("give one checklist file, or - for standard input.", 2)
    path = paths[0]
    try:
        if path == "-":
            text, name = sys.stdin.read(), "standard input"
        else:
            with open(path, encoding="utf-8") as f:
                text, name = f.read(), path.rsplit("/", 1)[-1]
    except FileNotFoundError:
        return _fail(f"There is no file {path}.", 5)
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"Cannot read {path}: {exc}.", 2)
    try:
        result, data = score_text(text, name, clock.today(), band_rules(band))
    except DashInputError as exc:
        return _fail(str(exc), 2)
    except Exception as exc:  # the lean path has no typer boundary: keep the same promise
        return _fail(f"stopped on an unexpected {type(exc).__name__}; please report it.", 70)
    if as_json_out:
        sys.stdout.write(json.dumps(as_json(result, data), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render(result, data) + "\n")
    return 0


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"dacli: {one_line(message)}\n")
    return code
