"""My day: overdue, due today and this week, what waits without a date, and the sign-offs waiting for me
(`services.day.my_day`, the same sections as `dacli day`); enter opens the case."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from dacli.errors import DacliError
from dacli.rules.day import HEADINGS


class DayScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("t", "team", "Team/mine", tooltip="The team's day, or yours (seniors and managers)"),
        Binding("ctrl+l", "app.lock", "Lock"),
        Binding("question_mark", "app.help", "Help"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.team = False
        self.day = None

    def compose(self) -> ComposeResult:
        yield Static("", id="day-title", classes="form-title", markup=False)
        yield OptionList(id="day")
        yield LoadingIndicator(id="busy")
        yield Footer(compact=True, show_command_palette=False)  # ctrl+p still opens it (see ?)

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="day", exit_on_error=False)
    def load(self):
        from dacli.services.day import my_day

        return my_day(self.app.session, team=self.team, now=self.app.now())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "day" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.query_one("#busy").display = False
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.team = False
            self.query_one("#day-title", Static).update(
                error.message
                if isinstance(error, DacliError)
                else f"Could not load ({type(error).__name__})."
            )
            return
        self.show(event.worker.result)

    def show(self, day) -> None:
        from dacli.rules.day import when

        self.day = day
        self.query_one("#day-title", Static).update(f"{day.headline()} Enter opens a case.")
        options: list[Option | None] = []
        for name, items in day.sections.items():
            if not items:
                continue
            if options:
                options.append(None)
            options.append(Option(Text(HEADINGS[name], style="bold underline"), disabled=True))
            for n, i in enumerate(items):
                line = Text(f"{i.ref}  {i.client[:24]:<24}  {i.what}  {when(i.due_at)}")
                if day.team:
                    line.append(f"  ({i.worker})")
                if i.overdue:
                    line.stylize("bold #ff5f5f")
                options.append(Option(line, id=f"{name}:{n}"))
        table = self.query_one("#day", OptionList)
        table.clear_options()
        table.add_options(options or [Option("Nothing overdue, due today or this week.", disabled=True)])
        table.focus()

    @on(OptionList.OptionSelected, "#day")
    def open_case(self, event: OptionList.OptionSelected) -> None:
        from dacli.tui.screens.case import CaseScreen

        if self.day is None or not event.option.id:
            return
        name, n = event.option.id.split(":")
        self.app.push_screen(CaseScreen(self.day.sections[name][int(n)].ref))

    def refresh_rows(self) -> None:
        """Back from a case (`CaseScreen.action_back`): what was done there leaves the day."""
        self.query_one("#busy").display = True
        self.load()

    def action_team(self) -> None:
        self.team = not self.team
        self.query_one("#busy").display = True
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
