"""Test settings shared by every test module."""

from __future__ import annotations

import os

from hypothesis import settings

# JAX's settings (CPU, float64, four devices) are made in ../conftest.py, which
# the doctests of src/softmaxlab share.

# Property tests: no deadline (the first call of a JAX function compiles it);
# derandomized in CI so a red run can be replayed exactly, random locally so
# that every local run explores new examples.
settings.register_profile("ci", deadline=None, derandomize=True, max_examples=60, database=None)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
