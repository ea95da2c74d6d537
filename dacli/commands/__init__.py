"""Thin Typer adapters: parse, prompt, call one service, render."""
