"""Tests for softmaxlab.floats: formats and the exponential's thresholds."""

from __future__ import annotations

import math

import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from softmaxlab import (
    FLOAT_FORMATS,
    ExpThresholds,
    exp_threshold_table,
    exp_thresholds,
    float_format,
)

LN2 = math.log(2.0)


def _exp(x: np.ndarray) -> np.ndarray:
    """np.exp in x's own dtype, with the expected overflow/underflow silenced."""
    with np.errstate(over="ignore", under="ignore"):
        return np.exp(x)


def _bracket(value: float, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """The numbers of ``dtype`` one step below and one step above ``value`` rounded to ``dtype``.

    A threshold computed in float64 is within half a float64 ulp of the truth, so it can
    round to either side of it; one step either way is then certainly on each side.
    """
    x = np.array(value, dtype=np.float64).astype(dtype)
    lo = np.nextafter(x, np.array(-np.inf, dtype=dtype))
    hi = np.nextafter(x, np.array(np.inf, dtype=dtype))
    return lo, hi


def _all_finite_values(dtype: np.dtype) -> np.ndarray:
    """Every finite number of a 16-bit format, by enumerating its bit patterns."""
    x = np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(dtype)
    return x[np.isfinite(x.astype(np.float32))]


# --- resolving formats -------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, name",
    [
        ("float16", "float16"),
        (" BFloat16 ", "bfloat16"),
        (np.float32, "float32"),
        (np.dtype("float64"), "float64"),
        (jnp.bfloat16, "bfloat16"),
        (ml_dtypes.bfloat16, "bfloat16"),
    ],
)
def test_float_format_resolves_names_and_dtypes(spec, name):
    assert float_format(spec).name == name


# Unknown names and dtypes are refused by the vocabulary's rules (choice and
# float_dtype): their messages are tested in test_validation.py.


# --- the closed forms ---------------------------------------------------------------


@pytest.mark.parametrize("name", FLOAT_FORMATS)
def test_thresholds_match_the_format_parameters(name):
    t = exp_thresholds(name)
    assert isinstance(t, ExpThresholds) and t.name == name
    w, p = t.exponent_bits, t.significand_bits
    assert t.bits == w + p  # sign bit + w exponent bits + (p - 1) stored fraction bits
    emax = 2 ** (w - 1) - 1
    emin = 1 - emax
    assert t.largest == (2 - 2.0 ** (1 - p)) * 2.0**emax
    assert t.smallest_normal == 2.0**emin
    assert t.smallest_subnormal == 2.0 ** (emin - p + 1)
    assert t.eps == 2.0 ** (1 - p)
    # x_over is just below (emax + 1) ln 2 = 2^(w-1) ln 2, by about 2^(-p-1)
    # (the chapter's exercise).
    # ln(largest + half an ulp of it), computed another way.
    assert t.overflow == pytest.approx(
        math.log(t.largest) + math.log1p(2.0 ** (emax - p) / t.largest), rel=1e-15
    )
    assert t.overflow == pytest.approx(2 ** (w - 1) * LN2, abs=2.0 ** (-p))
    assert t.normal == pytest.approx(emin * LN2, rel=1e-15)
    assert t.underflow == pytest.approx((emin - p) * LN2, rel=1e-15)
    assert t.underflow < t.normal < 0 < t.overflow


@pytest.mark.parametrize("name", FLOAT_FORMATS)
def test_exp_of_the_thresholds_lands_on_the_boundaries(name):
    t = exp_thresholds(name)
    # Computed in float64 where the boundary values are representable (not float64's own overflow).
    if name != "float64":
        half_ulp = 2.0 ** (math.frexp(t.largest)[1] - t.significand_bits - 1)
        assert math.exp(t.overflow) == pytest.approx(t.largest + half_ulp, rel=1e-13)
        assert math.exp(t.underflow) == pytest.approx(t.smallest_subnormal / 2, rel=1e-13)
    assert math.exp(t.normal) == pytest.approx(t.smallest_normal, rel=1e-13)


# --- against real exponentials ----------------------------------------------------------


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_every_16bit_number_overflows_and_underflows_where_predicted(name):
    """Exhaustive: all finite float16 / bfloat16 arguments, NumPy's exp (ml_dtypes for bfloat16)."""
    dt = float_format(name)
    t = exp_thresholds(name)
    x = _all_finite_values(dt)
    e = _exp(x).astype(np.float64)
    xs = x.astype(np.float64)
    np.testing.assert_array_equal(np.isinf(e), xs >= t.overflow)
    np.testing.assert_array_equal(e == 0, xs <= t.underflow)
    # Below x_normal the exact value is subnormal; rounding can lift it to the smallest normal
    # only within half an ulp, which no 16-bit argument hits.
    np.testing.assert_array_equal(
        (e < t.smallest_normal) & (e > 0), (xs < t.normal) & (xs > t.underflow)
    )


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_numpy_exp_changes_at_the_predicted_neighbours(name):
    dt = float_format(name)
    t = exp_thresholds(name)
    lo, hi = _bracket(t.overflow, dt)
    assert np.isfinite(_exp(lo)) and np.isinf(_exp(hi))
    lo, hi = _bracket(t.normal, dt)
    assert 0 < _exp(lo) < t.smallest_normal <= _exp(hi)
    lo, hi = _bracket(t.underflow, dt)
    assert _exp(lo) == 0 and _exp(hi) > 0


@pytest.mark.parametrize("name", FLOAT_FORMATS)
def test_jax_exp_overflows_at_the_predicted_neighbours(name):
    t = exp_thresholds(name)
    dt = float_format(name)
    lo, hi = _bracket(t.overflow, dt)
    out = np.asarray(jnp.exp(jnp.asarray(np.array([lo, hi], dtype=dt)))).astype(np.float64)
    assert np.isfinite(out[0]) and np.isinf(out[1])


@given(st.floats(-120.0, 100.0, width=32))
def test_float32_exp_is_inf_or_zero_exactly_beyond_the_thresholds(x):
    t = exp_thresholds("float32")
    # Keep away from the thresholds by a few ulps of the argument: libraries'
    # exp may be off by an ulp.
    for thr in (t.overflow, t.underflow):
        if abs(x - thr) < 1e-5:
            return
    e = _exp(np.float32(x))
    assert bool(np.isinf(e)) == (x >= t.overflow)
    assert bool(e == 0) == (x <= t.underflow)


# --- the table ---------------------------------------------------------------------------


def test_table_has_a_header_and_one_aligned_row_per_format():
    lines = exp_threshold_table().splitlines()
    assert len(lines) == 1 + len(FLOAT_FORMATS)
    assert lines[0].split() == [
        "format",
        "w",
        "p",
        "epsilon",
        "largest",
        "x_over",
        "x_normal",
        "x_zero",
    ]
    assert len({len(line) for line in lines}) == 1
    for line, name in zip(lines[1:], FLOAT_FORMATS, strict=True):
        cells = line.split()
        t = exp_thresholds(name)
        assert cells[0] == name
        assert float(cells[5]) == pytest.approx(t.overflow, abs=5e-5)
        assert float(cells[7]) == pytest.approx(t.underflow, abs=5e-5)


def test_table_refuses_a_single_string():
    with pytest.raises(TypeError, match=r"not the single string 'float32'; wrap it in a list"):
        exp_threshold_table("float32")


def test_table_refuses_non_iterables_and_empty_input():
    with pytest.raises(TypeError, match=r"dtypes must be a sequence of formats, got int"):
        exp_threshold_table(3)
    with pytest.raises(ValueError, match=r"dtypes is empty; give at least one format"):
        exp_threshold_table([])
