"""One error base class; the CLI renders it once, as one sentence on stderr with its exit code.

Messages never contain case content (names, dates of birth, addresses): they name the case reference, the
file or the field, so an error shown on screen or pasted into a ticket leaks nothing.
"""

from __future__ import annotations

from dacli.text import one_line


class DacliError(Exception):
    """Base of every error dacli expects. ``exit_code`` is what the process exits with."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        # A message can quote a file's contents (an author's id, a TOML error): control characters are
        # replaced, so a crafted file cannot send escape sequences to a terminal (or hide a verdict), and
        # newlines too, so the message stays one line.
        message = one_line(str(message))
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(DacliError):
    """Bad input from a person or a file: a field, a value, a date that cannot be."""

    exit_code = 2


class AuthError(DacliError):
    """Wrong passphrase, unknown or removed user."""

    exit_code = 3


class PermissionDenied(DacliError):
    """The acting user's role does not allow this."""

    exit_code = 4


class NotFound(DacliError):
    """A store, case or record that does not exist."""

    exit_code = 5


class IntegrityError(DacliError):
    """A file that is corrupt, tampered with, truncated, or belongs to another case."""

    exit_code = 6


class NotArrived(IntegrityError):
    """A recent file encrypted to a key this copy of the store does not have yet: another office's key file
    is still on its way through the sync engine (not tampering; let the sync finish)."""

    exit_code = 11


class LockBusy(DacliError):
    """Another process holds the lock and did not let go in time."""

    exit_code = 7


class StoreError(DacliError):
    """The store cannot be written (read-only, disk full) or is in a state dacli refuses to touch."""

    exit_code = 8


class PartlySaved(DacliError):
    """A command saved a record, then a later step (the index, the audit trail, another record) failed. The
    message names what was saved, in which case, and what to run; repeating the command would save it twice.
    """

    exit_code = 9


class InputEnded(DacliError):
    """The input ended (end of file, or a script with too few answers) before a question was answered."""

    exit_code = 10
