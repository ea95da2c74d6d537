"""Purge intents: the first phase of a two-phase destruction (`.dacli/intents/`).

The sweep that first finds a case due destroys nothing: it writes a **purge intent**, a file written once
(`<ref>-<stamp>-<rand>.json`, plain: references, dates, the rule and the folder's fingerprint, no personal
data) and signed by the sweep's key over its content: the case, the rule, the mode, the facts it decided on
(the merged register row, without the youngest child's date of birth), the folder's fingerprint, when, and
the first day it may be carried out (`goes_from`: the day it was written plus the policy's
`retention.purge_grace_days`). A later sweep carries it out only from that day, and only if the case is
still due and its folder still matches the fingerprint: any fact that arrived meanwhile (a note, a hold, a
reopening, written here or synced from an office that was offline) changes the fingerprint, and the sweep
then writes a **cancellation** (a file of the same kind naming the intent and why) and audits it; the case
waits to become due again, and a new intent starts a new grace period.

A file here is believed only when its signature verifies against the sweep key in force (the one the
tombstone chain and store.toml name): one written by hand, or by anyone but the sweep, is reported by name
and carries nothing out. Every file has a name of its own, so two sweeps in two offices never rewrite one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from dacli import clock
from dacli.store import signing
from dacli.store.documents import signed_context
from dacli.store.fsio import atomic_write, make_dir
from dacli.text import Refused, load_json

INTENTS = "intents"
INTENT_SCHEMA = "purge-intent/1"
NAME_RE = re.compile(r"^(?P<ref>[A-Za-z0-9-]{1,40})-(?P<stamp>[0-9]{8}T[0-9]{6})-[0-9a-f]{6}\.json$")
FACTS = ("status", "last_contact", "referral_date", "closed_on", "held")


def body_hash(doc: dict) -> str:
    body = {k: v for k, v in doc.items() if k != "sig"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def context(store_id: str, digest: str) -> bytes:
    return signed_context("purge-intent", store_id, digest)


@dataclass
class Intents:
    """The intents and cancellations in the store, those believed and those not (by file name)."""

    intents: dict[str, list[dict]] = field(default_factory=dict)
    """ref -> its intents, oldest first."""
    cancelled: dict[str, dict] = field(default_factory=dict)
    """intent id -> the cancellation naming it."""
    problems: list[str] = field(default_factory=list)

    def in_force(self, ref: str) -> dict | None:
        """The case's latest intent not cancelled, or None."""
        for doc in reversed(self.intents.get(ref, [])):
            if doc["id"] not in self.cancelled:
                return doc
        return None


def read_intents(meta: Path, store_id: str, key: str | None) -> Intents:
    """Every file in `.dacli/intents/`, believed only as signed by the sweep key ``key``."""
    out = Intents()
    folder = meta / INTENTS
    try:
        names = sorted(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return out
    docs = []
    for name in names:
        if not NAME_RE.fullmatch(name):
            continue  # a sync engine's copy, a temp file: not read (each file is written once)
        why = None
        try:
            doc = load_json((folder / name).read_bytes(), "A purge intent", stored=True)
        except (OSError, Refused):
            doc, why = None, "cannot be read"
        if why is None and (not isinstance(doc, dict) or doc.get("schema") != INTENT_SCHEMA):
            why = "is not a purge intent"
        elif why is None and (
            not key
            or not isinstance(doc.get("sig"), str)
            or not signing.verify(key, doc["sig"], context(store_id, body_hash(doc)))
        ):
            why = "is not signed by the retention sweep's key (forged, or by hand): it carries nothing out"
        elif why is None and (doc.get("ref") != NAME_RE.fullmatch(name)["ref"] or not doc.get("id")):
            why = "names another case than its file name"
        if why:
            out.problems.append(f"{INTENTS}/{name} {why}")
            continue
        docs.append(doc)
    for doc in sorted(docs, key=lambda d: (str(d.get("at")), str(d.get("id")))):
        if doc.get("kind") == "cancel":
            out.cancelled[str(doc.get("intent"))] = doc
        elif doc.get("kind") == "intent":
            out.intents.setdefault(doc["ref"], []).append(doc)
    return out


def _write(meta: Path, doc: dict, store_id: str, signer: signing.Signer) -> dict:
    doc = {"schema": INTENT_SCHEMA, **doc}
    doc["sig"] = signer.sign(context(store_id, body_hash(doc)))
    folder = meta / INTENTS
    make_dir(folder)
    now = clock.now()
    name = f"{doc['ref']}-{now.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}.json"
    atomic_write(folder / name, json.dumps(doc, sort_keys=True, indent=1).encode() + b"\n")
    return doc


def write_intent(
    meta: Path,
    store_id: str,
    signer: signing.Signer,
    *,
    ref: str,
    mode: str,
    rule: str,
    keep_until: str | None,
    facts: dict,
    folder: str,
    noted_on: dt.date,
    grace_days: int,
    by: str,
) -> dict:
    doc = {
        "kind": "intent",
        "ref": ref,
        "id": secrets.token_hex(6),
        "mode": mode,
        "rule": rule,
        "keep_until": keep_until,
        "facts": {k: facts.get(k) for k in FACTS},
        "folder": folder,
        "noted_on": noted_on.isoformat(),
        "grace_days": grace_days,
        "goes_from": (noted_on + dt.timedelta(days=grace_days)).isoformat(),
        "at": clock.now().isoformat(timespec="seconds"),
        "by": by,
    }
    return _write(meta, doc, store_id, signer)


def write_cancel(meta: Path, store_id: str, signer: signing.Signer, intent: dict, why: str, by: str) -> dict:
    doc = {
        "kind": "cancel",
        "ref": intent["ref"],
        "id": secrets.token_hex(6),
        "intent": intent["id"],
        "why": why,
        "at": clock.now().isoformat(timespec="seconds"),
        "by": by,
    }
    return _write(meta, doc, store_id, signer)
