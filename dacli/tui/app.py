"""The caseload dashboard: `dacli tui`.

It reads and writes the same store through the same services as the CLI (`services.admin`,
`services.caseload`, `services.case_view` and one module per domain), so the two can never disagree. Screens
(one module each in `dacli/tui/screens/`; the caseload table is in `dacli/tui/widgets.py`):

- unlock: user and passphrase (masked); a wrong passphrase is one sentence, never a traceback; the unlock
  (scrypt) runs in a worker thread with a loading indicator;
- caseload: every case from the caseload index (no case decrypted), drawn by a virtual table that renders
  only the visible rows (Textual's line API), overdue cases first; type to filter; keys to sort, to switch
  between my cases and all, and to filter by risk or flag; counts by risk level in the header;
- case: safe contact advice first, flags, deadlines, the safety plan's overdue actions, consent, disclosures,
  Marac and court dates, the Dash trend as a sparkline, and the timeline; `n` adds a case note, `c` takes a
  Dash checklist, `g` records a Soag, `p` adds a safety-plan action, `a` completes one, `r` records a review.

Every form reads and checks what was typed with the service's own parser (the CLI's rules and messages),
shows a refusal inline and saves in a worker thread. Dates and deadlines come from the app's clock
(``DacliApp(now=...)``), the real one unless a test pins it.

It locks itself after ``idle_seconds`` without a key press or click, dropping the session and every screen
that showed case data. Nothing on screen is ever written to disk: Textual's screenshots (its palette's
'Screenshot', ``action_screenshot``, ``save_screenshot``, ``deliver_*``, ``TEXTUAL_SCREENSHOT``), its log
file (``TEXTUAL_LOG``, which records every key) and its devtools are switched off, and the command palette
offers dacli's own commands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from dacli import clock
from dacli.tui.screens.caseload import CaseloadScreen
from dacli.tui.screens.help import HelpScreen
from dacli.tui.screens.unlock import UnlockScreen

_clock = (
    clock.boottime
)  # seconds that keep counting while the machine sleeps (a laptop closed overnight is locked)


class DacliApp(App):
    TITLE = "dacli"
    CSS_PATH = "dacli.tcss"
    BINDINGS = [
        Binding("ctrl+l", "lock", "Lock", show=False),
        Binding("question_mark", "help", "Help", show=False),
    ]

    def __init__(
        self,
        store_path: Path,
        user: str | None = None,
        idle_seconds: float = 300.0,
        now: Callable[[], dt.datetime] | dt.datetime | None = None,
    ) -> None:
        """``now`` is the clock for dates and deadlines (a callable or a fixed moment; a naive one is read
        as the service's local time); dacli's clock when not given. The idle lock always counts real time."""
        super().__init__()
        self._no_screen_to_disk()
        self.store_path = Path(store_path)
        self.user = user
        self.idle_seconds = idle_seconds
        self.session = None
        self._now = now
        self._last_activity = _clock()

    def now(self) -> dt.datetime:
        """The moment deadlines are worked out for and forms are dated with (aware, UTC)."""
        if self._now is None:
            return clock.now()
        at = self._now() if callable(self._now) else self._now
        return clock.to_utc(at)

    def today(self) -> dt.date:
        """The local day of ``now``: the same 'today' as `case show` and the caseload."""
        return clock.local_date(self.now())

    def on_mount(self) -> None:
        # the caseload screen is built under the unlock screen while the passphrase is typed; it holds no
        # case data until `unlocked`, and is emptied again on lock
        self.caseload_screen = CaseloadScreen()
        self.push_screen(self.caseload_screen)
        self.push_screen(UnlockScreen(self.user, try_agent=True))
        self.set_interval(min(5.0, max(self.idle_seconds / 4, 0.1)), self._lock_when_idle)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self._last_activity = _clock()
        await super().on_event(event)

    def unlocked(self, session) -> None:
        self.session = session
        self.user = session.member.username
        self._last_activity = _clock()
        self.pop_screen()  # the unlock screen, down to the caseload screen
        self.caseload_screen.start()

    async def _lock_when_idle(self) -> None:
        if self.session is not None and _clock() - self._last_activity >= self.idle_seconds:
            await self.action_lock("Locked after a spell without use. Unlock to go on.")

    async def action_lock(self, message: str = "Locked.") -> None:
        self.session = None  # the keys go with it
        while len(self.screen_stack) > 2:  # the default screen, then the caseload screen
            await self.pop_screen()
        self.caseload_screen.clear()
        await self.push_screen(UnlockScreen(self.user, message))

    async def open_case(self, ref: str, finish_intake: bool = False) -> None:
        """Show case ``ref`` over the caseload (refreshed), as if opened from it; ``finish_intake`` opens the
        whole intake form once the case is read (after a referral taken here)."""
        from dacli.tui.screens.case import CaseScreen

        while len(self.screen_stack) > 2:
            await self.pop_screen()
        self.caseload_screen.refresh_rows()
        await self.push_screen(CaseScreen(ref, finish_intake=finish_intake))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Quit (q, ctrl+q, the palette); if a form holds words typed since it opened, ask first, as escape
        does: quitting must not throw away a half-written note."""
        from dacli.tui.screens.form import DiscardScreen, FormScreen

        if not any(
            (isinstance(s, FormScreen) or type(s).__name__ == "DashScreen") and s.typed()
            for s in self.screen_stack
        ):
            self.exit()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.exit()

        await self.push_screen(DiscardScreen(), answered)

    # --- nothing on screen is written to disk ------------------------------------------------------------

    def _no_screen_to_disk(self) -> None:
        """Textual writes the screen or every key typed to disk when asked by its environment variables:
        ``TEXTUAL_LOG`` (a log of every event, passphrase keys included), ``TEXTUAL_SCREENSHOT`` (an SVG
        after a delay, case data on it); ``TEXTUAL=devtools`` sends them to another process. Off, here."""
        from textual import constants

        constants.LOG_FILE = None  # read on every log call
        constants.SCREENSHOT_DELAY = -1  # read when the app is ready
        self.devtools = None
        self._devtools_redirector = None
        self.features = self.features - {"devtools"}

    def _refuse_to_save_the_screen(self) -> None:
        self.notify("dacli never saves the screen: it may hold case data.", severity="warning")

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        self._refuse_to_save_the_screen()

    def save_screenshot(self, filename=None, path=None, time_format=None):  # type: ignore[override]
        self._refuse_to_save_the_screen()

    def deliver_screenshot(self, filename=None, path=None, time_format=None) -> None:
        self._refuse_to_save_the_screen()

    def deliver_text(self, *args, **kwargs) -> None:
        self._refuse_to_save_the_screen()

    def deliver_binary(self, *args, **kwargs) -> None:
        self._refuse_to_save_the_screen()

    def get_system_commands(self, screen: Screen):
        """The command palette's commands: dacli's own, the keys of the screen it was opened from (open a
        case, add a note, take a Dash...) and lock, help and quit; never Textual's (its 'Screenshot' writes
        the screen, case data and all, to ~/Downloads)."""
        from functools import partial

        from textual.app import SystemCommand

        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.system or not binding.description or not active.enabled:
                continue
            title = binding.tooltip or binding.description  # the footer's word is short; this is not
            if binding.action == "command_palette" or title in seen:
                continue
            seen.add(title)
            keys = binding.key_display or self.get_key_display(binding)
            yield SystemCommand(
                title,
                f"{keys} on this screen",
                partial(self.run_action, binding.action, active.node),
            )
        own = [("Help", "The keys of every screen", "help"), ("Quit", "Leave the dashboard", "quit")]
        if self.session is not None:
            own.insert(0, ("Lock", "Lock now: the case data goes until you unlock", "lock"))
        for title, help_text, action in own:
            if title not in seen:
                yield SystemCommand(title, help_text, partial(self.run_action, action))

    def _handle_exception(self, error: Exception) -> None:
        """Every unexpected error goes to the type-only message below (Textual would otherwise render an
        exception that has a __rich__ method as it likes)."""
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._fatal_error()

    def _fatal_error(self) -> None:
        """Textual prints a traceback with local variables on a crash: they could hold a passphrase or
        case data. Print the exception's type only, as the CLI does (DACLI_DEBUG=1 shows it all)."""
        import os

        if os.environ.get("DACLI_DEBUG") == "1":
            super()._fatal_error()
            return
        kind = type(self._exception).__name__ if self._exception else "error"
        self.panic(
            Text(
                f"dacli: the dashboard stopped on an unexpected {kind}; nothing more was written. Please "
                "report it (the message is withheld because it may hold case data)."
            )
        )
