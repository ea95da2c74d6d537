"""dacli: case management for specialist domestic-abuse services.

The package is layered; imports only ever point one way:

    errors <- schemas <- rules <- store <- services <- {commands, tui} <- cli

Nothing below ``commands`` imports typer, rich or textual (tests/test_layers.py checks it).
"""

__version__ = "0.1.0"
