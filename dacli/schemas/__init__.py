"""Pydantic models of every document dacli keeps. Each carries a ``schema`` version string."""
