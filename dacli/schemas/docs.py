"""A form field's help: the pack's wording, written as the docstring under the field in its schema.

Read from the schema's source only when a template or a prompt asks for it, and kept: pydantic's
`use_attribute_docstrings` would read and parse the source of every such class at import, on every command,
`case list` and `note add` included (issue 15). A ``Field(description=...)`` wins, as it does in pydantic.
No I/O beyond reading dacli's own source files.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache


@cache
def _class_docs(cls: type) -> dict[str, str]:
    """{field: docstring} for the fields ``cls`` itself declares with a string right under them."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    node = ast.parse(source).body[0]
    if not isinstance(node, ast.ClassDef):
        return {}
    docs = {}
    for here, after in zip(node.body, node.body[1:], strict=False):
        if (
            isinstance(here, ast.AnnAssign)
            and isinstance(here.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[here.target.id] = inspect.cleandoc(after.value.value)
    return docs


def field_doc(model: type, name: str) -> str | None:
    """The help for field ``name`` of ``model``: its description, else the docstring under it in the class
    that declares it (a subclass's own wins over a base's)."""
    field = model.model_fields[name]
    if field.description:
        return field.description
    for cls in model.__mro__:
        doc = _class_docs(cls).get(name) if name in getattr(cls, "__annotations__", {}) else None
        if doc:
            return doc
    return None
