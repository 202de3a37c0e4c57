"""Unit tests: no root, no network, no servers; property tests run the same examples every time."""

from __future__ import annotations

from hypothesis import settings

# derandomize: a failure reproduces on every run and machine. No deadline: the first example of
# a test may pay a one-off cost (botocore's service model is loaded once, on first use).
settings.register_profile("unit", derandomize=True, deadline=None, database=None)
settings.load_profile("unit")
