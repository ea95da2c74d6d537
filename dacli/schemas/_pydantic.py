"""Import pydantic the way dacli wants it: without asyncio, and with no plugin (`dacli.schemas` turns them
off, and their loader is never imported). Imported first by `dacli.services` (every command but the lean
`dash score` goes through it) and by `dacli.schemas.common`, before either imports pydantic."""

import sys


def import_pydantic() -> None:
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
    sys.modules.setdefault("pydantic.plugin._loader", _no_plugins())
    try:
        import pydantic.config
        import pydantic.fields
        import pydantic.functional_validators
        import pydantic.main
        import pydantic.type_adapter
        import pydantic.types  # noqa: F401
    finally:
        drop()


def _no_plugins():
    """pydantic's plugin loader as dacli runs it, plugins off (``PYDANTIC_DISABLE_PLUGINS=__all__``, set by
    `dacli.schemas`): no plugin, found without importing ``importlib.metadata`` (with ``email`` and
    ``zipfile``: about 15 ms of every command)."""
    import types

    loader = types.ModuleType("pydantic.plugin._loader")
    loader.get_plugins = lambda: ()
    return loader


import_pydantic()
