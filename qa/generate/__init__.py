"""Composed answers: a chat model writes, each sentence is checked against the passages it cites."""
from qa.generate.compose import Generator

__all__ = ["Generator"]
