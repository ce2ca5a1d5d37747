"""Test settings shared by every test module."""

from __future__ import annotations

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
from hypothesis import settings  # noqa: E402

jax.config.update("jax_enable_x64", True)
# Four CPU devices, as chapter 8 asks for (sl.book_settings(cpu_devices=4)), so
# that tests/test_sharded.py splits arrays over a real device mesh. It must be
# set before JAX's first computation; no other test depends on the count.
jax.config.update("jax_num_cpu_devices", 4)

# Property tests: no deadline (the first call of a JAX function compiles it);
# derandomized in CI so a red run can be replayed exactly, random locally so
# that every local run explores new examples.
settings.register_profile("ci", deadline=None, derandomize=True, max_examples=60, database=None)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
