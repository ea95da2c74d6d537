"""The store's own documents: settings, policy, the staff list."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator, model_validator

from dacli.defaults import PASSPHRASE_LOG_N
from dacli.schemas.common import STAFF_ID_RE, USERNAME_RE, Role, Strict

STORE_FORMAT = "dacli-store/3"
"""/3: safe under a file-sync engine (facts written once, versions that name what they replace, derived data
kept on each computer). /2 stores are read, and `dacli upgrade` makes them /3; nothing is written to a /2
store until then."""
READABLE_FORMATS = ("dacli-store/2", STORE_FORMAT)
"""/2: every record, key ring, index and staff list is signed (store.signing)."""


class SecuritySettings(Strict):
    passphrase_log_n: int = Field(PASSPHRASE_LOG_N, ge=10, le=22)
    """scrypt work factor (log2 N) for new or changed passphrases. 17 (the OWASP minimum) costs about
    0.4 s and 128 MiB here; each step up doubles both. Existing identity files keep their own factor."""
    lock_timeout_seconds: float = Field(10.0, ge=0, le=600)
    """How long a writer waits for another writer before giving up with a clear message."""


UK_HELPLINES = (
    "National Domestic Abuse Helpline (Refuge): 0808 2000 247, free, 24 hours",
    "Men's Advice Line: 0808 801 0327",
    "Galop (LGBT+ people facing abuse): 0800 999 5428",
    "Karma Nirvana (honour-based abuse, forced marriage): 0800 5999 247",
    "Samaritans: 116 123, free, 24 hours",
)
"""The national helplines a new store prints on the client's copy (`dacli settings set helplines ...`)."""


class StoreSettings(Strict):
    """`.dacli/store.toml`: what this store is. Written by `dacli init`."""

    schema_: str = Field(STORE_FORMAT, alias="schema")
    store_id: str

    @field_validator("schema_")
    @classmethod
    def _format(cls, v: str) -> str:
        if v not in READABLE_FORMATS:
            raise ValueError(
                f"this store is in format {v!r}, and this dacli reads "
                f"{' and '.join(map(repr, READABLE_FORMATS))} only (from /2 on, every file is signed by its "
                "author; /3 is safe under a sync engine)"
            )
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from dacli import clock

        try:
            clock.load_zone(v)
        except clock.ClockError as exc:
            raise ValueError(str(exc).rstrip(".")) from None
        return v

    """Random identifier of this store; appears in no other store."""
    service_name: str = ""
    """The service's own name, shown in headers and on the client's copy of the plan."""
    service_phone: str = Field("", max_length=50)
    """The service's phone number, printed on the client's copy of the plan."""
    helplines: list[str] = Field(default_factory=lambda: list(UK_HELPLINES), max_length=20)
    """National helplines printed on the client's copy of the plan (each 'Name: number, when')."""
    timezone: str = "Europe/London"
    """The service's local time zone (IANA name): times people type and read, and 'today'."""
    created: datetime
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    retention_recipient: str | None = None
    """Public key of the retention identity (`dacli retention init`): it opens the retention register only."""
    retention_signing_key: str | None = None
    """Public Ed25519 key of the retention sweep (`dacli retention init`): it signs each tombstone line and
    the sweep's own audit entries, and readers believe those only as signed by it."""


class DashPolicy(Strict):
    @model_validator(mode="after")
    def _band(self) -> DashPolicy:
        if self.medium_band_min > self.medium_band_max:
            raise ValueError("medium_band_min is above medium_band_max")
        if self.medium_band_max >= self.visible_high_risk:
            raise ValueError("the medium band must end below visible_high_risk")
        return self

    visible_high_risk: int = Field(14, ge=1, le=24)
    """Yes answers that make visible high risk (SafeLives: 14)."""
    medium_band_enabled: bool = False
    """A local 'medium' band; off by default (local guidance only, never lowers a level)."""
    medium_band_min: int = Field(10, ge=1, le=24)
    medium_band_max: int = Field(13, ge=1, le=24)
    potential_escalation_incidents: int = Field(3, ge=1)
    """Police incidents in the past 12 months that make potential escalation (SafeLives: 3)."""
    marac_repeat_months: int = Field(12, ge=1)
    reassess_weeks: int = Field(8, ge=1)
    """Risk is reviewed at least this often (pack: every 6-8 weeks)."""


class ReviewPolicy(Strict):
    first_review_weeks_min: int = Field(6, ge=1)
    first_review_weeks_max: int = Field(8, ge=1)
    interval_weeks: int = Field(8, ge=1)
    """Interval between case reviews after the first."""
    no_contact_close_weeks: int = Field(8, ge=1)
    first_contact_hours: int = Field(48, ge=1)
    follow_up_months: int = Field(6, ge=1)


class RetentionPolicy(Strict):
    years_from_last_contact: int = Field(6, ge=6)
    """Keep case files at least this long after the last contact (Limitation Act 1980: at least 6)."""
    children_until_age: int | None = Field(None, ge=18, le=30)
    """If set, keep files involving children until the youngest turns this age (a common rule: 25)."""
    action: str = Field("destroy", pattern="^(destroy|boil-down)$")
    """What happens after the period: destroy, or boil down to a summary in case the client returns."""
    purge_grace_days: int = Field(30, ge=14, le=365)
    """Destruction is two-phase: the sweep that first finds a case due writes a signed purge intent, and a
    later sweep carries it out only this many days after it, if nothing newer arrived meanwhile (a fact, a
    hold, a reopening). At least as long as an office may be offline (14 days at least; default 30)."""


class SyncPolicy(Strict):
    arrival_grace_hours: int = Field(24, ge=1, le=24 * 90)
    """How long a file encrypted to a key this copy lacks (or a key file naming a removal this copy has
    not seen) is taken as not arrived yet from another office, not as tampering or an old copy put back."""


class ReportPolicy(Strict):
    small_numbers: int = Field(5, ge=2, le=100)
    """In a report that leaves the service (CSV, JSON), counts from 1 to one under this are shown as '<N'."""
    teams: dict[str, list[str]] = {}
    """Teams for `dacli report --team`: a name and the usernames in it."""


class Policy(Strict):
    """`.dacli/policy.toml`: the service's rules, in plain TOML a manager can read and edit."""

    schema_: str = Field("policy/1", alias="schema")
    dash: DashPolicy = Field(default_factory=DashPolicy)
    review: ReviewPolicy = Field(default_factory=ReviewPolicy)
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)
    sync: SyncPolicy = Field(default_factory=SyncPolicy)
    reports: ReportPolicy = Field(default_factory=ReportPolicy)


class StaffMember(Strict):
    id: str
    """Opaque staff id; names files (identity, audit log) so that no file name holds a person's name."""
    username: str
    role: Role
    recipient: str
    """The person's public age recipient (``age1...``)."""
    signing_key: str
    """The person's public Ed25519 key (base64): every file they write is signed with its private half."""
    certificate: str
    """The signature of the manager who added them (``added_by``; the founding manager signs their own) over
    who they are and their keys: a list edited to add someone, or to change a role or key, fails it."""
    added: datetime
    added_by: str | None = None
    removed: datetime | None = None
    removed_by: str | None = None
    removed_epoch: int | None = None
    """The key epoch their removal began: a key ring (from before key files) they signed is believed only
    if older than it; a key file they signed, only if made before ``removed``."""

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not STAFF_ID_RE.fullmatch(v):
            raise ValueError("not a staff id")
        return v

    @field_validator("username")
    @classmethod
    def _username(cls, v: str) -> str:
        if not USERNAME_RE.fullmatch(v):
            raise ValueError(
                "a username is 2-32 lower-case letters, digits, '.', '_' or '-', starting with a letter"
            )
        return v

    @property
    def active(self) -> bool:
        return self.removed is None


class StaffList(Strict):
    """`.dacli/staff.toml`: everyone who has ever held a key to this store."""

    schema_: str = Field("staff/2", alias="schema")
    key_epoch: int = Field(0, ge=0)
    """How many removals the list holds: the snapshot's own, plus one per removal among the staff changes
    (`store.staffevents`). A count of facts, so it only grows as copies merge; each computer remembers the
    highest it has seen (`store.seen`). Key rings written before key files carry it per key."""
    rewrap_pending: bool = False
    """Read from snapshots written before staff changes were events, and ignored: whether a re-key is due is
    worked out from the key files (`KeyRoom.rekey_due`), never a shared field rewritten by each change."""
    staff: list[StaffMember] = []

    def active(self) -> list[StaffMember]:
        return [s for s in self.staff if s.active]

    def by_username(self, username: str) -> StaffMember | None:
        for s in self.staff:
            if s.username == username and s.active:
                return s
        return None

    def by_id(self, staff_id: str) -> StaffMember | None:
        for s in self.staff:
            if s.id == staff_id:
                return s
        return None
