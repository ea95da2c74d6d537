"""Pydantic models of every document dacli keeps. Each carries a ``schema`` version string.

Importing this package imports nothing (the lean `dash score` reads `dash_bank` alone); `dacli.services` and
`common` first import pydantic the way dacli wants it (`_pydantic`)."""

import os

# No pydantic plugin (a package's entry point, which pydantic would load and hand every model built and
# every value validated: case records included) ever runs inside dacli; looking for one would also read the
# metadata of every installed package at the first model built.
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
