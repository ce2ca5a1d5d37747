"""Shared by every test run from the repository root, doctests included."""

from __future__ import annotations

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)
# Four CPU devices, as chapter 8 asks for (sl.book_settings(cpu_devices=4)), so
# that tests/test_sharded.py and the doctests of softmaxlab.sharded split
# arrays over a real device mesh. It must be set before JAX's first
# computation; no other test depends on the count.
jax.config.update("jax_num_cpu_devices", 4)


@pytest.fixture(autouse=True)
def _numpy_default_printing(request):
    """Every doctest starts from NumPy's default print options and leaves them so.

    ``sl.book_settings()`` (which a doctest calls) changes them for the whole
    process, so without this a docstring's printed array would depend on
    which test ran before it in the same pytest-xdist worker.
    """
    if not isinstance(request.node, pytest.DoctestItem):
        yield
        return
    saved = np.get_printoptions()
    np.set_printoptions(**{**saved, "precision": 8, "suppress": False, "linewidth": 75})
    yield
    np.set_printoptions(**saved)
