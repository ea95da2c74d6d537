"""The one clock: the only module in dacli that reads the time.

Records hold UTC instants; people type and read the service's local time (Europe/London unless the store's
settings name another zone); 'today' is the local date. Everything else in dacli asks this module, so a test
pins one moment (``pin``) and every command, service, store write and dashboard screen sees it.

``DACLI_NOW`` (an ISO moment, read as local time when it carries no zone) pins the clock of a whole process:
the tests use it for subprocesses, and a trainer can use it to show a store as of a given day. It is no
security boundary: whoever can set it can change the computer's clock. The retention sweep refuses to
destroy anything by a clock set ahead of the computer's (see ``ahead_of_computer``).

Imports nothing from dacli, so anything may import it; cheap to import (no zone database read until asked).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from contextlib import contextmanager

UTC = dt.UTC
DEFAULT_ZONE = "Europe/London"

_pinned: dt.datetime | None = None
_zone_name = DEFAULT_ZONE
_zone: dt.tzinfo | None = None


class ClockError(ValueError):
    """A time or zone that cannot be read; the message is one sentence."""


# --- the zone -------------------------------------------------------------------------------------------


def zone() -> dt.tzinfo:
    """The service's local zone (Europe/London unless the store's settings name another)."""
    global _zone
    if _zone is None:
        _zone = load_zone(_zone_name)
    return _zone


def zone_name() -> str:
    return _zone_name


def load_zone(name: str) -> dt.tzinfo:
    """An IANA zone by name ('Europe/London'); one sentence when the name is not a zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ClockError(
            f"'{name}' is not a time zone this computer knows (for example Europe/London)."
        ) from None


def set_zone(name: str) -> None:
    """Use ``name`` as the local zone from now on (the store's `timezone` setting)."""
    global _zone_name, _zone
    found = load_zone(name)
    _zone_name, _zone = name, found


# --- reading the time -----------------------------------------------------------------------------------


def _env_pin() -> dt.datetime | None:
    text = os.environ.get("DACLI_NOW")
    if not text:
        return None
    try:
        return to_utc(dt.datetime.fromisoformat(text.strip()))
    except (ValueError, OverflowError):
        raise ClockError("DACLI_NOW is not a date and time (for example 2026-11-23T14:30).") from None


def computer_now() -> dt.datetime:
    """The computer's own clock (aware, UTC, with microseconds), whatever is pinned."""
    return dt.datetime.now(UTC)


def now_precise() -> dt.datetime:
    """Now, aware, in UTC, with microseconds (audit entries)."""
    if _pinned is not None:
        return _pinned
    pinned = _env_pin()
    return pinned if pinned is not None else computer_now()


def now() -> dt.datetime:
    """Now, aware, in UTC, to the second: the moment records are stamped with."""
    return now_precise().replace(microsecond=0)


def local_now() -> dt.datetime:
    """Now in the service's local zone (aware), to the second."""
    return now().astimezone(zone())


def today() -> dt.date:
    """Today's local date: the 'today' of deadlines, forms and defaults everywhere."""
    return local_now().date()


def pinned_by_environment() -> bool:
    """Whether ``DACLI_NOW`` sets this process's clock (audit entries then say so, with the computer's)."""
    return _pinned is None and bool(os.environ.get("DACLI_NOW"))


def ahead_of_computer(slack: dt.timedelta = dt.timedelta(minutes=5)) -> bool:
    """Whether the clock dacli reads is set ahead of the computer's (a pin or ``DACLI_NOW`` in the future)."""
    return now_precise() > computer_now() + slack


def boottime() -> float:
    """Seconds on a clock that counts through sleep and never goes back (idle locks); not a time of day."""
    return time.clock_gettime(time.CLOCK_BOOTTIME) if hasattr(time, "CLOCK_BOOTTIME") else time.monotonic()


# --- pinning (tests, the dashboard's injectable clock) ---------------------------------------------------


def pin(at: dt.datetime | None) -> None:
    """Pin the clock at ``at`` (naive is local time), or unpin it with None."""
    global _pinned
    _pinned = None if at is None else to_utc(at)


def pinned_at() -> dt.datetime | None:
    return _pinned


@contextmanager
def pinned(at: dt.datetime):
    before = _pinned
    pin(at)
    try:
        yield
    finally:
        pin(before)


# --- converting (pure) -----------------------------------------------------------------------------------


def to_utc(at: dt.datetime) -> dt.datetime:
    """An instant as aware UTC. A naive time is the service's local time (what a person typed): 14:30 in
    July is 13:30 UTC. A local time that does not exist (the hour skipped in spring) or happens twice
    (autumn) takes the first reading. One sentence for a time out of range."""
    try:
        if at.tzinfo is None:
            at = at.replace(tzinfo=zone())
        return at.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ClockError(f"{at.isoformat()} is out of the range of dates dacli can record.") from None


def local(at: dt.datetime) -> dt.datetime:
    """An instant in the service's local zone (aware). Naive instants are taken to be UTC (as stored)."""
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(zone())


def local_date(at: dt.datetime) -> dt.date:
    """The local date of an instant (naive is UTC, as stored)."""
    return local(at).date()


def start_of(day: dt.date) -> dt.datetime:
    """The first moment of a local day, as aware UTC (the start of a date-only deadline)."""
    return to_utc(dt.datetime.combine(day, dt.time(0, 0)))


def long_day(day: dt.date) -> str:
    """A day in full, as a heading: 'Tuesday 24 November 2026' (no platform-only format codes)."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_day(day: dt.date, today: dt.date) -> str:
    """A day as a person reads it in a narrow column: '17 Jun' in this year, '17 Jun 2025' in another."""
    return f"{day.day} {day:%b}" if day.year == today.year else f"{day.day} {day:%b %Y}"


def show_due(at: dt.datetime) -> str:
    """When something is due, as a person reads it: the local date for a deadline of a day (kept as the
    first moment of its local day: a review, a plan action, an order), the local date and time otherwise."""
    moment = local(at)
    return f"{moment:%Y-%m-%d}" if (moment.hour, moment.minute, moment.second) == (0, 0, 0) else show(at)


def show(at: dt.datetime | None, seconds: bool = False) -> str:
    """An instant as a person reads it: local date and time, no zone suffix ('2026-07-14 14:30')."""
    if at is None:
        return ""
    return local(at).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
