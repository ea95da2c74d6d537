"""The shape of the code: no private helper borrowed from another module, no circle between services, and
no room grown past what a newcomer can find their way in."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DACLI = ROOT / "dacli"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(DACLI.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """Every `from X import a, b` and `import X` in a module, lazy ones inside functions included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
    return found


def test_no_private_helper_is_imported_from_another_module():
    mods = _modules()
    borrowed = [
        f"{name} imports {module}.{item}"
        for name, path in mods.items()
        for module, items in _imports(path)
        if module.startswith("dacli")
        for item in items
        if item.startswith("_") and not item.startswith("__") and f"{module}.{item}" not in mods
    ]
    assert borrowed == []


@pytest.mark.parametrize("package", ["services", "store", "tui"])
def test_a_package_imports_its_modules_in_one_direction(package):
    """The services form no circle, nor do the store's rooms or the dashboard's screens, lazy imports included
    (a circle between caseload and cases was how the listing came to need the whole case file)."""
    mods = {n: p for n, p in _modules().items() if n.startswith(f"dacli.{package}.")}
    graph = {
        name: {
            m if m in mods else f"{m}.{item}"
            for m, items in _imports(path)
            for item in (items or [""])
            if (m in mods or f"{m}.{item}" in mods) and m != name
        }
        & set(mods)
        for name, path in mods.items()
    }
    seen, stack, circles = set(), [], []

    def visit(node):
        if node in stack:
            circles.append(stack[stack.index(node) :] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        stack.pop()

    for node in sorted(graph):
        visit(node)
    assert circles == []


def test_no_module_of_a_layer_has_grown_past_five_hundred_lines():
    """One module per domain; the store in rooms (layout, documents, staff, rings, records, index, auditing,
    retention, sync); the dashboard in screens, one module each (tui/screens/), the app and the caseload
    table apart."""
    big = {
        str(path.relative_to(ROOT)): n
        for layer in ("services", "commands", "rules", "schemas", "store", "tui")
        for path in (DACLI / layer).rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 500
    }
    assert big == {}
