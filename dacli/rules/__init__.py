"""Pure safeguarding rules over schemas: no I/O, ``today`` is always a parameter."""
