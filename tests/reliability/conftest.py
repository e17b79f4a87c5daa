"""What the reliability tests share: the long or the bounded run, and an embedder with no model
(hashed words, tests/reliability/fakes.py), for tests of the plumbing that must run fast."""
from __future__ import annotations

import os

import pytest

from tests.reliability.fakes import HashEmbedder

# `make test-reliability` sets BYLINE_RELIABILITY_LONG=1: 50 kills, 10,000+ fuzzed requests, a
# longer concurrency run. `make test` runs the bounded version (a few minutes in all).
LONG = os.environ.get("BYLINE_RELIABILITY_LONG") == "1"


def bounded(short: int, long: int) -> int:
    return long if LONG else short


@pytest.fixture(scope="session")
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()
