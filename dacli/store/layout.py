"""Where things are in a store: the names of its files, case references, the folder a new store may be made
in, this computer's id, and the policy file `dacli init` writes."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from dacli.errors import InvalidInput, NotFound, StoreError
from dacli.schemas.common import CASE_REF_RE
from dacli.text import ref_of, ref_prefixes

META = ".dacli"


STORE_TOML = "store.toml"


POLICY_TOML = "policy.toml"


STAFF_TOML = "staff.toml"


STORE_KEYS = "store-keys.age"


CASE_KEYS = "keys.age"
"""A case's first key file (or, in a store older than key files, its whole key ring): never rewritten."""


KEY_FILE_RE = re.compile(r"^(?:store-)?keys-\d{8}T\d{12}Z-[0-9a-f]{8}\.age$")
"""Key files added later, each written once: `keys-<UTC stamp>-<random>.age` in a case folder,
`store-keys-<UTC stamp>-<random>.age` in `.dacli/`."""


def key_file_name(store: bool, at) -> str:
    from datetime import UTC

    prefix = "store-keys" if store else "keys"
    return f"{prefix}-{at.astimezone(UTC).strftime('%Y%m%dT%H%M%S%f')}Z-{secrets.token_hex(4)}.age"


def key_files(folder: Path, store: bool) -> list[Path]:
    """Every key file of a scope: the first (`keys.age`, `store-keys.age`) and those added since, by name."""
    first = STORE_KEYS if store else CASE_KEYS
    prefix = "store-keys-" if store else "keys-"
    try:
        names = [p.name for p in folder.iterdir()]
    except (FileNotFoundError, NotADirectoryError):
        return []
    later = sorted(n for n in names if KEY_FILE_RE.fullmatch(n) and n.startswith(prefix))
    return [folder / n for n in ([first] if first in names else []) + later]


INDEX = "index.json.age"


ANCHORS = "anchors.json.age"
"""The audit anchors alone (the heads of every audit log), beside the index: the retention sweep deletes
the index after a purge (it holds names and cannot be rewritten without a staff key), and the anchors
must outlive that."""


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


STORE_GITIGNORE = """\
# dacli: locks and interrupted writes stay out of git (and a format-2 store's shared caseload index).
# What another copy adds is listed at the next `dacli case list`: each computer keeps its own index.
.lock
.tmp-*
.dacli/index.json.age
.dacli/audit/*.lock
"""


HARMLESS_ENTRIES = (
    ".gitignore", ".gitattributes", "README.md",  # the two dacli itself writes (a copy there is kept)
    ".stfolder", ".stignore", ".stversions",  # Syncthing
    ".sync_*.db*", ".owncloudsync.log", ".sync-exclude.lst",  # Nextcloud and ownCloud clients
    ".dropbox", ".dropbox.attr",  # Dropbox
    "desktop.ini", "Thumbs.db", ".DS_Store",  # Windows (also OneDrive) and macOS
)  # fmt: skip


def boiled(folder: Path) -> bool:
    """A case folder the retention sweep boiled down: a summary (written once, or the old
    `summary.toml.age`) and no `case.toml.age`."""
    from dacli.schemas.review import is_summary

    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return "case.toml.age" not in names and any(is_summary(n) for n in names)


def foreign_entries(root: Path) -> list[str]:
    """Names in ``root`` other than `HARMLESS_ENTRIES`: what makes a folder not empty for a new store."""
    from fnmatch import fnmatchcase

    patterns = [p.lower() for p in HARMLESS_ENTRIES]
    return sorted(
        p.name for p in root.iterdir() if not any(fnmatchcase(p.name.lower(), pat) for pat in patterns)
    )


def new_case_ref() -> str:
    chars = "".join(secrets.choice(_CROCKFORD) for _ in range(10))
    return f"DA-{chars[:5]}-{chars[5:]}"


def check_case_ref(ref: str) -> str:
    if not isinstance(ref, str) or not CASE_REF_RE.fullmatch(ref):
        raise InvalidInput(f"{ref!r} is not a case reference (they look like DA-7K3M9-QXP2T).")
    return ref


MIN_PREFIX = 4
"""A reference typed in part must give at least this many of its ten characters: fewer would pick one
case by luck as often as by intent."""


def resolve_case_ref(root: Path, typed: str) -> str:
    """The case reference ``typed`` means: any case ('da-7k3m9-qxp2t'), I, L and O read as 1, 1 and 0, and a
    start of one (at least `MIN_PREFIX` characters: 'DA-7K3M9', '7k3m9') when exactly one case folder in
    the store ``root`` begins so. A whole reference is returned without looking at the store (whether the
    case exists is for the command to say, as for any reference), unless it could also be read as a start
    ('DAN0SEXPEJ': the reference DA-DAN0S-EXPEJ, or the start DA-N0SEX-PEJ...): then the store says which,
    and both is refused."""
    if CASE_REF_RE.fullmatch(typed):
        return typed
    prefixes = ref_prefixes(typed)
    whole = [p for p in prefixes if len(p) == 10]
    starts = tuple(p for p in prefixes if MIN_PREFIX <= len(p) < 10)
    if whole and not starts:
        return ref_of(whole[0])
    if not whole and not starts:
        if prefixes:
            raise InvalidInput(
                f"{typed.strip()!r} is too little of a case reference: give at least {MIN_PREFIX} of its "
                "characters after 'DA-' (they look like DA-7K3M9-QXP2T)."
            )
        return check_case_ref(typed)
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        raise NotFound(f"There is no dacli store at {root}.") from None
    except OSError as exc:
        raise StoreError(f"Cannot list the store ({exc.strerror}).") from None
    found = sorted(
        n
        for n in names
        if CASE_REF_RE.fullmatch(n) and ((body := n[3:8] + n[9:]) in whole or body.startswith(starts))
    )
    if not found and whole:
        return ref_of(whole[0])  # no such case: the command says so, naming the reference
    shown = " or ".join(ref_of(p).rstrip("-") for p in starts)
    if not found:
        raise NotFound(f"No case reference begins with {shown}.")
    if len(found) > 1:
        listed = ", ".join(found[:3]) + (", ..." if len(found) > 3 else "")
        if whole:
            raise InvalidInput(
                f"{typed.strip()!r} could be {listed}: give the whole reference, hyphens and all."
            )
        raise InvalidInput(f"{len(found)} case references begin with {shown} ({listed}): give more of it.")
    return found[0]


def machine_id() -> str:
    """A random id for this machine and person, kept in the user's data folder.

    It names the audit log this process appends to, so each log has a single writer.
    """
    env = os.environ.get("DACLI_MACHINE_ID")
    if env:
        if not all(c.isalnum() for c in env) or len(env) > 32:
            raise InvalidInput("DACLI_MACHINE_ID must be up to 32 letters and digits.")
        return env
    from platformdirs import user_data_path

    path = user_data_path("dacli") / "machine-id"
    try:
        value = path.read_text().strip()
        if value.isalnum() and len(value) == 12:
            return value
    except OSError:
        pass
    value = secrets.token_hex(6)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(value + "\n")
    except OSError:
        pass  # a read-only home: the id lasts for this process only
    return value


def policy_template() -> str:
    """The policy file `dacli init` writes: every setting, its default and where the default comes from."""
    return """\
# dacli store policy. Plain TOML: a manager may edit it; dacli checks every value when it loads.
# The defaults are the national rules of the SafeLives Case Management Pack (2014); where a rule is
# local practice it is off or at the national value until you change it.
schema = "policy/1"

[dash]
# Yes answers on the SafeLives Dash that make visible high risk (SafeLives: 14).
visible_high_risk = 14
# A local 'medium' band: suggests a level, never lowers one. Off by default (local guidance only).
medium_band_enabled = false
medium_band_min = 10
medium_band_max = 13
# Police incidents in the past 12 months that make 'potential escalation' (SafeLives: 3).
potential_escalation_incidents = 3
# A new incident within this many months of the last Marac referral is a Marac repeat.
marac_repeat_months = 12
# Risk is reassessed at least this often, in weeks (pack: every 6-8 weeks).
reassess_weeks = 8

[review]
# The first case review falls 6-8 weeks after intake, then at this interval (weeks).
first_review_weeks_min = 6
first_review_weeks_max = 8
interval_weeks = 8
# No client contact for this many weeks: the case is listed as a candidate for closure.
no_contact_close_weeks = 8
# A new referral is contacted within this many hours.
first_contact_hours = 48
# Follow-up call after closure, only where the client consented (months).
follow_up_months = 6

[retention]
# Keep case files at least this many years after the last contact (Limitation Act 1980: 6).
years_from_last_contact = 6
# Uncomment to keep files involving children until the youngest child's birthday at this age.
# children_until_age = 25
# After the period: "destroy", or "boil-down" to a summary in case the client returns.
action = "destroy"
# Days between the sweep's purge intent and the purge (at least as long as an office may be offline, 14-365).
# purge_grace_days = 30

[sync]
# A file encrypted to a key this copy does not have yet, made within this many hours, is reported as not
# arrived yet from another office (let the sync finish), not as tampering.
arrival_grace_hours = 24
"""
