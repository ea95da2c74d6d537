"""A new computer introduced by one that has used the store: its memory of the staff list, handed over.

A removed manager keeps their signing key. A computer that has used the store is not fooled by what they
sign afterwards (it never stops believing a change it believed, and does not believe a leaver's change that
reaches it long after its date: `seen`), but a computer set up later reads the staff changes alone, and a
removal a leaver signs after their own removal, dated then, reads exactly like the removal their remover
would have back-dated (the README's "A computer introduced by another"). So a new computer can take over
the memory of one that has used the store longer, from a person who works there:

- `introduction` (on the computer that has used the store): its memory of the store's staff changes (which
  it believed, with their SHA-256; who it saw removed; the key epoch), signed by the person unlocked there.
  It holds staff ids, staff change file names and digests, and numbers: nothing about a client.
- `join` (on the new computer): the file's signature is checked against the keys a manager's signed
  addition gave the person it names (a leaver's too: whoever hands the file over is named, and the person
  joining decides whether to trust them), for this store; then it replaces this computer's own memory.

The file carries no secret: it may travel by email or a USB stick, and a changed one does not verify.
"""

from __future__ import annotations

import json

from dacli import clock
from dacli.errors import IntegrityError, InvalidInput
from dacli.schemas.store import StaffList
from dacli.store import seen, signing
from dacli.store.layout import STAFF_TOML
from dacli.store.leavers import given_keys
from dacli.store.staff import staff_sources, verify_staff
from dacli.store.staffevents import parse_event
from dacli.text import Refused, load_json, load_toml

SCHEMA = "dacli-introduction/1"
MAX_BYTES = 16 * 1024 * 1024
"""An introduction larger than this is not read (one naming 20,000 staff changes is about 2 MB)."""


def _context(store_id: str) -> bytes:
    return f"dacli introduction to store {store_id}\n".encode()


def introduction(session) -> bytes:
    """This computer's memory of the store's staff list, signed by ``session``'s person (the staff list is
    checked, and remembered, first)."""
    session.staff()
    store_id = session.store.settings.store_id
    kept = seen.remembered(store_id)
    if "changes" not in kept:
        raise IntegrityError(
            "This computer keeps no memory of the store's staff list (its data folder cannot be written): "
            "make the introduction on a computer that does."
        )
    body = {
        "schema": SCHEMA,
        "store_id": store_id,
        "by": session.member.id,
        "username": session.member.username,
        "at": clock.now().isoformat(timespec="seconds"),
        "memory": {k: kept.get(k, 0 if k == "key_epoch" else []) for k in seen.KEPT},
    }
    text = json.dumps(body, indent=1, sort_keys=True).encode()
    return session.signer.seal(_context(store_id), text)


def join(store, raw: bytes, what: str = "The introduction") -> dict[str, str]:
    """Check the introduction ``raw`` for ``store`` and make its memory this computer's; returns who made
    it ({"by", "username", "at"}) and how many staff changes in the folder it does not name ("unknown":
    made since, or not believed by that computer). Anything wrong is one IntegrityError (or InvalidInput
    for a file that is not an introduction at all), and nothing is changed."""
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"{what} is larger than {MAX_BYTES // (1024 * 1024)} MB: not an introduction.")
    store_id = store.settings.store_id
    body, author, signature = signing.split(raw, what)
    try:
        data = load_json(body, what)
    except Refused as exc:
        raise InvalidInput(f"{what} is not an introduction made by `dacli sync introduce` ({exc}).") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise InvalidInput(f"{what} is not an introduction made by `dacli sync introduce`.")
    if data.get("store_id") != store_id:
        raise IntegrityError(f"{what} was made for another store, not this one.")
    memory = data.get("memory")
    if (
        data.get("by") != author
        or not isinstance(data.get("username"), str)
        or not isinstance(data.get("at"), str)
        or not isinstance(memory, dict)
        or set(memory) != set(seen.KEPT)
        or not seen.valid(memory)
    ):
        raise IntegrityError(f"{what} is damaged (changed outside dacli).")
    keys = _keys(store)
    if not any(signing.verify(k, signature, _context(store_id) + body) for k in keys.get(author, ())):
        raise IntegrityError(
            f"{what} does not match its signature: changed since it was made, or signed by someone no "
            "manager added to this store."
        )
    made = {"by": author, "username": data["username"], "at": data["at"]}
    seen.adopt(store_id, memory, {**made, "joined": clock.now().isoformat(timespec="seconds")})
    unknown = [name for name, _raw in staff_sources(store.meta)[1] if name not in memory["changes"]]
    return {**made, "unknown": len(unknown)}


def _keys(store) -> dict[str, set[str]]:
    """Each staff id's signing keys, as a manager's signed addition gave them (`leavers.given_keys`), from
    the snapshot (checked against its own founding manager: the unlock afterwards checks it against the
    person's identity file) and every staff change that parses."""
    raw, events = staff_sources(store.meta)
    try:
        founder = next(
            m.signing_key
            for m in StaffList.model_validate(load_toml(signing.split(raw, "x")[0].decode(), "x")).staff
            if m.added_by is None
        )
    except (StopIteration, UnicodeDecodeError, Refused, ValueError, IntegrityError):
        raise IntegrityError(f"The staff list ({STAFF_TOML}) is damaged.") from None
    base = verify_staff(raw, store.settings.store_id, founder)
    parsed = []
    for name, body in events:
        try:
            parsed.append((name, *parse_event(name, body)))
        except IntegrityError:
            continue
    return given_keys(base, parsed, store.settings.store_id)
