"""The validation vocabulary of softmaxlab: one rule, one test, one message."""

from __future__ import annotations

import numpy as np
import pytest

from softmaxlab import _validation as v


def test_float_dtype_accepts_the_three_formats():
    assert [v.float_dtype(d) for d in ("float16", np.float32, np.dtype("float64"))] == list(
        v.SUPPORTED_FLOATS
    )


@pytest.mark.parametrize("bad", [None, "int32", np.int64, "not a dtype", np.longdouble])
def test_float_dtype_refuses_other_types(bad):
    with pytest.raises(TypeError, match=r"dtype must be float16, float32 or float64, got "):
        v.float_dtype(bad)


def test_integer_with_a_minimum():
    assert v.integer(np.int32(3), "rows", minimum=1) == 3
    with pytest.raises(TypeError, match=r"rows must be an int >= 1, got float 1\.5"):
        v.integer(1.5, "rows", minimum=1)
    with pytest.raises(TypeError, match=r"rows must be an int, got bool True"):
        v.integer(True, "rows")
    with pytest.raises(ValueError, match=r"rows must be an int >= 1, got 0"):
        v.integer(0, "rows", minimum=1)


def test_index_counts_from_the_end_and_names_the_range():
    assert v.index(-1, 4) == 3
    with pytest.raises(
        ValueError, match=r"j=4 is out of range for length 4; expected an integer in \[-4, 3\]"
    ):
        v.index(4, 4)
    with pytest.raises(TypeError, match=r"j must be an int index, got float 1\.0"):
        v.index(1.0, 4)


def test_finite_real():
    assert v.finite_real(np.float32(0.5), "T") == 0.5
    with pytest.raises(TypeError, match=r"T must be a real number, got str 'a'"):
        v.finite_real("a", "T")
    with pytest.raises(ValueError, match=r"T must be finite, got inf"):
        v.finite_real(float("inf"), "T")


def test_logits_and_axis():
    arr, ax = v.logits([[1, 2], [3, 4]], axis=-1)
    assert arr.dtype == np.float64 and ax == 1
    with pytest.raises(TypeError, match=r"axis must be an int, got float 1\.0"):
        v.logits([1.0], axis=1.0)
    with pytest.raises(
        ValueError, match=r"axis=2 is out of range for an array with 1 dimension\(s\)"
    ):
        v.logits([1.0], axis=2)
    with pytest.raises(ValueError, match=r"axis 0 is empty; softmax needs at least one logit"):
        v.logits(np.zeros(0))


def test_same_shape_never_broadcasts():
    with pytest.raises(
        ValueError, match=r"v has shape \(1,\) but z has shape \(3,\); they must match exactly"
    ):
        v.same_shape(np.zeros(3), np.zeros(1))
