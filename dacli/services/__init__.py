"""One function per use case. The CLI and the dashboard call these and nothing below them."""

import dacli.schemas._pydantic  # noqa: F401, E402  (pydantic first, without asyncio: see there)
