"""One function per use case. The CLI and the dashboard call these and nothing below them."""
