"""Reading a person's form: every problem at once, each naming its field as the form's file spells it."""

from __future__ import annotations

from pydantic import ValidationError


def _blank(value: object) -> bool:
    return (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def problems(exc: ValidationError) -> str:
    """One sentence for a form pydantic refused: the unanswered fields first (left out, commented out or
    left blank, as a template prints them), then every other problem, each named by its key in the form."""
    unanswered: list[str] = []
    other: list[str] = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "missing" or (where and _blank(err.get("input"))):
            if where not in unanswered:
                unanswered.append(where)
            continue
        msg = err["msg"]
        if err["type"] == "enum":
            msg = f"must be one of {err['ctx']['expected']}"
        if err["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        text = f"{where}: {msg}" if where else msg
        if text not in other:
            other.append(text)
    head = [unanswered_sentence(unanswered)] if unanswered else []
    return "; ".join(head + other) or "the form"


def unanswered_sentence(fields: list[str]) -> str:
    """'a is not answered', 'a, b and c are not answered'."""
    if len(fields) == 1:
        return f"{fields[0]} is not answered"
    return f"{', '.join(fields[:-1])} and {fields[-1]} are not answered"
