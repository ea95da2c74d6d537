"""dacli dash: the SafeLives Dash risk checklist."""

from __future__ import annotations

import sys

import typer

from dacli import clock
from dacli.commands.common import ref_argument, ref_callback

dash_app = typer.Typer(help="The SafeLives Dash risk checklist.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(dash_app, name="dash")


@dash_app.command("score")
def dash_score(
    ctx: typer.Context,
    file: str = typer.Argument(None, help="A checklist as TOML or JSON, or - for standard input."),
    case: str = typer.Option(
        None, "--case", help="Score a case's latest checklist instead of a file.", callback=ref_callback
    ),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
    medium_band: str = typer.Option(None, "--medium-band", help="A local medium band, e.g. 10-13."),
) -> None:
    """Score a checklist file (no store needed), or with --case a case's latest checklist.

    \b
    Example: dacli dash score checklist.toml
    """
    from dacli.dashscore import main

    if case is None:
        # The same function as the lean path `dacli dash score` takes (dacli.entry), so both agree.
        if file is None:
            from dacli.errors import InvalidInput

            raise InvalidInput("give one checklist file, or - for standard input, or --case REF.")
        args = (
            [file] + (["--json"] if json_ else []) + (["--medium-band", medium_band] if medium_band else [])
        )
        code = main(args)
        sys.stdout.flush()
        if code:
            raise typer.Exit(code)
        return

    from dacli.dashscore import as_json, render
    from dacli.services.dash import score_latest

    result, data = score_latest(ctx.obj.session(), case, clock.today())
    if json_:
        from dacli.commands.common import print_json

        print_json({"case": case, **as_json(result, data)})
    else:
        typer.echo(f"Case {case}, latest checklist:")
        typer.echo(render(result, data))


@dash_app.command("record")
def dash_record(
    ctx: typer.Context,
    ref: str = ref_argument(),
    from_: str = typer.Option(None, "--from", help="The checklist as TOML or JSON, or - for standard input."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Record a new Dash checklist for a case: question by question, or from a file.

    \b
    Example: dacli dash record DA-7K3M9-QXP2T
    """

    from dacli.dashscore import parse
    from dacli.services.dash import parse_dash, record_dash

    session = ctx.obj.session()
    if from_:
        from dacli.commands.common import read_stdin

        text = read_stdin() if from_ == "-" else _read_text(from_)
        try:
            data = parse(text, "standard input" if from_ == "-" else from_)
        except ValueError as exc:
            from dacli.errors import InvalidInput

            raise InvalidInput(str(exc)) from None
    else:
        from dacli.services.dash import questions_for

        data = _ask_checklist(questions_for(session, ref))
    name, record = record_dash(session, ref, parse_dash(data, clock.today()))
    r = record.result
    if json_:
        from dacli.commands.common import print_json

        print_json({"case": ref, "record": name, **r.model_dump()})
        return
    typer.echo(f"Recorded {name}: {r.yes} yes, risk level {r.risk_level}.")
    if r.refer_to_marac:
        typer.echo("Marac referral criteria met: " + ", ".join(c.replace("_", " ") for c in r.marac_criteria))


def _read_text(path: str) -> str:
    from dacli.errors import InvalidInput, NotFound

    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        raise NotFound(f"There is no file {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Cannot read {path}: {exc}.") from None


def _ask_checklist(texts: dict[int, tuple[str, str]] | None = None) -> dict:
    """Question by question, with the pack's wording (the people who abuse named), its guidance and a
    running score. A comment is asked after a yes or a don't know, the source after a yes (a no needs
    neither); 'b' goes back to the question before, keeping every answer."""
    from dacli.schemas.dash_bank import ATTRIBUTION, QUESTIONS, TITLE

    typer.echo(TITLE, err=True)
    typer.echo(ATTRIBUTION, err=True)
    typer.echo("Answer y, n or d (blank to skip); b goes back to the question before.", err=True)
    texts = texts or {}
    answers: dict = {}
    at = 0
    while at < len(QUESTIONS):
        q = QUESTIONS[at]
        key = f"q{q.number}"
        text, guidance = texts.get(q.number, (q.text, q.guidance))
        typer.echo(f"\n{q.number}. {text}", err=True)
        if guidance:
            typer.echo(f"   {guidance}", err=True)
        before = answers.get(key, {}).get("answer", "")
        while True:
            raw = typer.prompt(
                "   yes / no / dont-know (y/n/d, blank to skip, b back)",
                default=before,
                show_default=bool(before),
                err=True,
            )
            raw = raw.strip().lower()
            value = {"y": "yes", "yes": "yes", "n": "no", "no": "no", "d": "dont-know"}.get(raw)
            value = value or ("dont-know" if raw == "dont-know" else None)
            if raw in ("b", "back") or raw == "" or value:
                break
            typer.echo("   Please answer y, n or d (or b to go back).", err=True)
        if raw in ("b", "back"):
            at = max(0, at - 1)
            continue
        if not value:
            answers.pop(key, None)
            at += 1
            continue
        entry: dict = {"answer": value}
        kept = answers.get(key, {})  # what was given before going back: offered again, kept with enter
        if value == "yes" and q.subticks:
            typer.echo(
                f"   {q.subtick_label or 'Which apply?'} "
                + "; ".join(f"{i + 1}) {t}" for i, t in enumerate(q.subticks)),
                err=True,
            )
            earlier = ",".join(str(q.subticks.index(t) + 1) for t in kept.get("ticks", []) if t in q.subticks)
            picks = typer.prompt(
                "   numbers, comma-separated (blank for none)",
                default=earlier,
                show_default=bool(earlier),
                err=True,
            )
            entry["ticks"] = [
                q.subticks[int(p) - 1]
                for p in picks.replace(" ", "").split(",")
                if p.isascii() and p.isdigit() and 0 < int(p) <= len(q.subticks)
            ]
        if value in ("yes", "dont-know"):
            earlier = kept.get("comment", "")
            comment = typer.prompt(
                "   comment (blank for none)", default=earlier, show_default=bool(earlier), err=True
            ).strip()
            if comment:
                entry["comment"] = comment
        if value == "yes":
            earlier = kept.get("source", "")
            source = typer.prompt(
                "   source if not the victim (blank if the victim)",
                default=earlier,
                show_default=bool(earlier),
                err=True,
            ).strip()
            if source:
                entry["source"] = source
        answers[key] = entry
        yes = sum(1 for a in answers.values() if a["answer"] == "yes")
        typer.echo(f"   [running score: {yes} yes]", err=True)
        at += 1
    prof = _ask_professional()
    incidents = typer.prompt(
        "Incidents reported to the police in the past 12 months (blank if unknown)",
        default="",
        show_default=False,
        err=True,
    )
    incidents = incidents.strip()
    context = (
        {"police_incidents_past_12_months": int(incidents)}
        if incidents.isascii() and incidents.isdigit()
        else {}
    )
    return {"answers": answers, "context": context, "professional": prof}


def _ask_professional() -> dict:
    """The pack's professional section, in its own words (dash_bank.PROFESSIONAL_ITEMS)."""
    import datetime as dt

    from dacli.commands.common import ask_text
    from dacli.schemas.dash_bank import PROFESSIONAL_HEADING, PROFESSIONAL_ITEMS

    typer.echo(f"\n{PROFESSIONAL_HEADING}", err=True)
    texts = {item.key: item.text for item in PROFESSIONAL_ITEMS}
    prof: dict = {}
    for key in (
        "other_relevant_information",
        "victim_situation",
        "abuser_access_to_weapons",
        "victim_priorities",
    ):
        answer = ask_text(texts[key], required=False)  # paragraphs: pasted lines stay one answer
        if answer:
            prof[key] = answer
    if typer.confirm(texts["marac_grounds"], default=False, err=True):
        prof["marac_grounds"] = True
        prof["reasons"] = ask_text("Your reasons (needed for professional judgement)")
        prof["marac_referral_made"] = typer.confirm(texts["marac_referral_made"], default=False, err=True)
    if typer.confirm(texts["children_at_risk"], default=False, err=True):
        prof["children_at_risk"] = True
        if typer.confirm(texts["children_referral_made"], default=False, err=True):
            prof["children_referral_made"] = True
            while True:
                raw = typer.prompt(
                    f"{texts['children_referral_date']} (YYYY-MM-DD)",
                    default=clock.today().isoformat(),
                    err=True,
                )
                try:
                    prof["children_referral_date"] = dt.date.fromisoformat(raw.strip())
                    break
                except ValueError:
                    typer.echo("Please give a date as YYYY-MM-DD.", err=True)
    notes = ask_text(texts["practitioners_notes"], required=False)
    if notes:
        prof["practitioners_notes"] = notes
    return prof


@dash_app.command("history")
def dash_history_cmd(
    ctx: typer.Context,
    ref: str = ref_argument(),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Every Dash checklist of a case with date, score and level, and the trend.

    \b
    Example: dacli dash history DA-7K3M9-QXP2T
    """
    from dacli.services.dash import dash_history, trend

    history = dash_history(ctx.obj.session(), ref)
    records = [r for _, r in history]
    if json_:
        from dacli.commands.common import print_json

        print_json(
            {
                "case": ref,
                "trend": trend(records),
                "checklists": [
                    {"record": n, "assessed_on": r.assessed_on.isoformat(), **r.result.model_dump()}
                    for n, r in history
                ],
            }
        )
        return
    if not history:
        typer.echo(f"Case {ref} has no Dash checklist yet.")
        return
    from dacli.commands.render import table

    table(
        ("assessed", "yes", "don't know", "risk level", "Marac criteria"),
        [
            (r.assessed_on.isoformat(), r.result.yes, len(r.result.dont_know), r.result.risk_level,
             ", ".join(c.replace("_", " ") for c in r.result.marac_criteria) or "-")
            for r in records
        ],
    )  # fmt: skip
    typer.echo(f"Trend: {trend(records)} ({' -> '.join(str(r.result.yes) for r in records)} yes)")


@dash_app.command("template")
def dash_template() -> None:
    """Print a checklist file to fill in for `dash score`: every question, word for word, as a comment.

    \b
    Example: dacli dash template > checklist.toml
    """
    from dacli.schemas.dash_bank import ATTRIBUTION, DASH_VERSION, QUESTIONS, TITLE

    lines = [f"# {TITLE}", f'checklist = "{DASH_VERSION}"', "", "[answers]", '# "yes", "no" or "dont-know"']
    for q in QUESTIONS:
        lines.append(f"# {q.number}. {q.text}")
        if q.guidance:
            lines.append(f"#    {q.guidance}")
        if q.subticks:
            lines.append(f"#    {q.subtick_label or 'Tick'} " + " / ".join(q.subticks))
        lines.append(f'# q{q.number} = "no"')
    lines += [
        "",
        "[context]",
        "# police_incidents_past_12_months = 0",
        "# last_marac_referral = 2026-01-31",
        "# assessed_on = 2026-01-31",
        "",
        "[professional]",
        "# marac_grounds = false",
        '# reasons = ""',
        '# level = "standard"',
        "",
        f"# {ATTRIBUTION}",
    ]
    typer.echo("\n".join(lines))
