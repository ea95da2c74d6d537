"""Pydantic models of every document dacli keeps. Each carries a ``schema`` version string.

Importing this package imports pydantic the way dacli wants it (`_import_pydantic`)."""

import os
import sys

# No pydantic plugin (a package's entry point, which pydantic would load and hand every model built and
# every value validated: case records included) ever runs inside dacli; looking for one would also read the
# metadata of every installed package at the first model built.
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"


def _import_pydantic() -> None:
    """Import pydantic without importing asyncio (about a tenth of a short command's time): pydantic marks
    some of its functions deprecated with ``typing_extensions.deprecated``, which imports asyncio only to ask
    whether each is a coroutine function (none is). While pydantic's modules are imported, a stand-in
    ``asyncio.coroutines`` answers that as asyncio would (`inspect.iscoroutinefunction`); it is gone
    before anything else runs, and anything else asked of it then imports the real asyncio and answers from
    it. Where asyncio is imported already (the dashboard), nothing is done."""
    if "asyncio" in sys.modules or "pydantic" in sys.modules:
        return
    import inspect
    import types

    package = types.ModuleType("asyncio")
    package.__path__ = []
    coroutines = types.ModuleType("asyncio.coroutines")
    coroutines.iscoroutinefunction = inspect.iscoroutinefunction
    package.coroutines = coroutines

    def drop() -> None:
        for name, stand_in in (("asyncio.coroutines", coroutines), ("asyncio", package)):
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]

    def real(module: str):
        def attribute(name: str):
            import importlib

            drop()
            return getattr(importlib.import_module(module), name)

        return attribute

    package.__getattr__ = real("asyncio")
    coroutines.__getattr__ = real("asyncio.coroutines")
    sys.modules["asyncio"], sys.modules["asyncio.coroutines"] = package, coroutines
    try:
        import pydantic.config
        import pydantic.fields
        import pydantic.functional_validators
        import pydantic.main
        import pydantic.type_adapter
        import pydantic.types  # noqa: F401
    finally:
        drop()


_import_pydantic()
