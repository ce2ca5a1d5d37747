"""Hypothesis strategies for logits, shared by the property tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def logit_vectors(min_size: int = 1, max_size: int = 16, bound: float = 50.0, dtype=np.float64):
    """Finite 1-D logit vectors with entries in [-bound, bound]."""
    return hnp.arrays(
        dtype,
        st.integers(min_size, max_size),
        elements=st.floats(
            -bound, bound, allow_nan=False, allow_infinity=False, width=np.dtype(dtype).itemsize * 8
        ),
    )


def integer_logits(min_size: int = 1, max_size: int = 16):
    """Integer-valued float64 logits: shifts by an integer are then exact."""
    return hnp.arrays(
        np.float64, st.integers(min_size, max_size), elements=st.integers(-60, 60).map(float)
    )
