"""Tests for softmaxlab.checking: the comparison helper and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import softmaxlab as sl


def test_check_prints_one_line_and_returns_difference(capsys):
    d = sl.check("same", np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    out = capsys.readouterr().out
    assert d == 0.0
    assert out.splitlines() == [f"{'same':<34} exact yes close yes max diff = 0"]


def test_check_raises_outside_tolerance(capsys):
    with pytest.raises(AssertionError, match=r"off: not within rtol=1e-12, atol=0; worst entry at index \(1,\): computed 2\.1, reference 2\.0"):
        sl.check("off", np.array([1.0, 2.1]), np.array([1.0, 2.0]), atol=0.0)
    assert "close no " in capsys.readouterr().out


def test_check_handles_nan_and_inf(capsys):
    sl.check("specials", np.array([np.nan, np.inf, -np.inf]), np.array([np.nan, np.inf, -np.inf]))
    assert "exact yes" in capsys.readouterr().out
    with pytest.raises(AssertionError):
        sl.check("nan vs number", np.array([np.nan]), np.array([0.0]))
    with pytest.raises(AssertionError):
        sl.check("inf vs -inf", np.array([np.inf]), np.array([-np.inf]))


def test_check_refuses_shape_mismatch_and_bad_tolerance():
    with pytest.raises(ValueError, match=r"computed has shape \(2,\) but reference has shape \(3,\)"):
        sl.check("shapes", np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"tolerances must be non-negative"):
        sl.check("tol", np.zeros(2), np.zeros(2), rtol=-1.0)


@pytest.mark.parametrize(("x", "text"), [(0.0, "= 0"), (1e-16, "< 1e-15"), (9.9e-16, "< 1e-15"), (1.0, "< 1e01"), (np.inf, "= inf")])
def test_decade_bound(x, text):
    assert sl.decade_bound(x) == text


def test_decade_bound_rejects_negative_and_nan():
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="non-negative"):
            sl.decade_bound(bad)


def test_finite_differences_on_a_known_function():
    f = lambda x: np.array([x[0] ** 2 * x[1], np.sin(x[1])])  # noqa: E731
    x = np.array([1.5, -0.5])
    expected = np.array([[2 * 1.5 * -0.5, 1.5**2], [0.0, np.cos(-0.5)]])
    np.testing.assert_allclose(sl.finite_difference_jacobian(f, x), expected, atol=1e-9)


def test_finite_differences_scalar_function_gives_gradient():
    g = sl.finite_difference_jacobian(lambda x: float(sl.logsumexp(x)), np.array([0.0, 1.0, 2.0]))
    np.testing.assert_allclose(g, sl.softmax([0.0, 1.0, 2.0]), atol=1e-9)


def test_finite_differences_bad_input():
    with pytest.raises(TypeError, match="f must be callable, got int"):
        sl.finite_difference_jacobian(3, [0.0])
    with pytest.raises(ValueError, match=r"z must be a non-empty vector of shape \(L,\), got shape \(2, 2\)"):
        sl.finite_difference_jacobian(sl.softmax, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="step must be positive, got 0.0"):
        sl.finite_difference_jacobian(sl.softmax, [0.0, 1.0], step=0.0)


def test_flat_concatenates_cases_of_any_shape():
    got = sl.flat([np.eye(2), [5], 7.0, np.array([True, False]), np.arange(3, dtype=np.int32)])
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [1, 0, 0, 1, 5, 7, 1, 0, 0, 1, 2])
    assert sl.flat([]).shape == (0,)
    assert sl.flat(x for x in [np.ones(2)]).shape == (2,)  # any iterable, generators too


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.ones(3), r"flat expects an iterable of arrays \(one per case\), got ndarray"),
        ("abc", r"got str"),
        (3.0, r"got float"),
        ([np.ones(2), np.array([1j])], r"entry 1 has dtype complex128; expected real numbers"),
        ([["a"]], r"entry 0 has dtype <U1; expected real numbers"),
    ],
)
def test_flat_rejects_bad_input(bad, message):
    with pytest.raises(TypeError, match=message):
        sl.flat(bad)
