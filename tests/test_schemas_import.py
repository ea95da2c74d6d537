"""How dacli imports pydantic (`dacli.schemas._pydantic`): no plugin (nor their loader), and no asyncio unless
needed."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_the_schemas_import_pydantic_without_asyncio_and_without_plugins():
    run = _run(
        "import os, sys, warnings\n"
        "import dacli.schemas.common\n"
        "assert 'asyncio' not in sys.modules, 'asyncio imported'\n"
        "assert os.environ['PYDANTIC_DISABLE_PLUGINS'] == '__all__'\n"
        "from pydantic import BaseModel\n"
        "class M(BaseModel):\n"
        "    x: int = 1\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    assert M().dict() == {'x': 1}\n"  # a method pydantic marks deprecated: still marked, still works
        "assert any('deprecated' in str(w.message) for w in caught), caught\n"
        "assert 'importlib.metadata' not in sys.modules, 'plugin loader imported'\n"
        "from pydantic.plugin._loader import get_plugins\n"
        "assert list(get_plugins()) == []\n"
        "import asyncio, asyncio.coroutines\n"  # the real one, when something wants it
        "assert asyncio.run(asyncio.sleep(0, 'ok')) == 'ok'\n"
        "async def f(): pass\n"
        "assert asyncio.coroutines.iscoroutinefunction(f)\n"
    )
    assert run.returncode == 0, run.stderr[-2000:]


def test_anything_else_asked_of_the_stand_in_is_answered_by_the_real_asyncio():
    """Were a later typing_extensions to ask asyncio for something else while pydantic is imported, the real
    asyncio answers (and stays), rather than dacli failing to start."""
    run = _run(
        "import sys, typing_extensions\n"
        "original = typing_extensions.deprecated.__call__\n"
        "def call(self, arg):\n"
        "    import asyncio\n"
        "    assert callable(asyncio.get_event_loop_policy)\n"
        "    return original(self, arg)\n"
        "typing_extensions.deprecated.__call__ = call\n"
        "import dacli.schemas.common\n"
        "import asyncio\n"
        "assert sys.modules['asyncio'] is asyncio and asyncio.run(asyncio.sleep(0, 1)) == 1\n"
    )
    assert run.returncode == 0, run.stderr[-2000:]


def test_where_asyncio_is_imported_already_pydantic_is_imported_as_usual():
    run = _run(
        "import asyncio, sys\n"
        "real = sys.modules['asyncio']\n"
        "import dacli.schemas.common\n"
        "assert sys.modules['asyncio'] is real\n"
    )
    assert run.returncode == 0, run.stderr[-2000:]
