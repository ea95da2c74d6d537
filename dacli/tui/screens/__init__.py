"""The dashboard's screens, one module per screen (the shared widgets are in `dacli.tui.widgets`)."""
