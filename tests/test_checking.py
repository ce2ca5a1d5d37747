"""Tests for softmaxlab.checking: the comparison helper and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import softmaxlab as sl


def test_check_is_relative_by_default(capsys):
    d = sl.check("same", np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    assert d == 0.0
    assert capsys.readouterr().out.splitlines() == [
        f"{'same':<{sl.LABEL_WIDTH}} within 1e-12 relative: yes"
    ]
    # A relative bound holds tiny entries to the same digits: 3x an entry of 1e-20 fails,
    # where an absolute tolerance of 1e-15 would have passed it.
    with pytest.raises(
        AssertionError, match=r"tiny: not within 1e-12 relative; worst entry at index \(1,\)"
    ):
        sl.check("tiny", np.array([1.0, 3e-20]), np.array([1.0, 1e-20]))
    assert "within 1e-12 relative: NO" in capsys.readouterr().out
    # A reference of 0 must be met exactly.
    with pytest.raises(AssertionError):
        sl.check("zero", np.array([1e-300]), np.array([0.0]))


def test_check_raises_outside_tolerance(capsys):
    with pytest.raises(
        AssertionError,
        match=(
            r"off: not within 1e-12 relative; worst entry at index \(1,\): "
            r"computed 2\.1, reference 2\.0 \(error 0\.05\)"
        ),
    ):
        sl.check("off", np.array([1.0, 2.1]), np.array([1.0, 2.0]))


def test_check_ulps_against_exact_reference(capsys):
    z = np.array([0.0, -1.0, -700.0])
    worst = sl.check("softmax in ulps", sl.softmax(z), sl.exact_softmax(z), ulps=4)
    assert 0 <= worst <= 4
    assert capsys.readouterr().out.strip().endswith("within 4 ulp: yes")
    one_up = np.nextafter(np.nextafter(np.float32(1), np.float32(2)), np.float32(2))
    with pytest.raises(AssertionError, match="not within 1 ulp"):
        sl.check("float32, two ulps", np.array([one_up]), np.array([1.0]), ulps=1)
    sl.check("float32, two ulps", np.array([one_up]), np.array([1.0]), ulps=2)


def test_check_absolute_needs_a_reason(capsys):
    with pytest.raises(
        ValueError, match=r"an absolute tolerance needs its reason: pass atol= together with why="
    ):
        sl.check("abs", np.zeros(2), np.zeros(2), atol=1e-15)
    with pytest.raises(ValueError, match="an absolute tolerance needs its reason"):
        sl.check("abs", np.zeros(2), np.zeros(2), why="no atol")
    sl.check("abs", np.array([1e-17]), np.array([0.0]), atol=1e-15, why="J1 = 0")
    assert "within 1e-15 absolute (J1 = 0): yes" in capsys.readouterr().out


def test_check_exact(capsys):
    sl.check("bits", np.array([0.5, -0.0]), np.array([0.5, 0.0]), exact=True)
    assert "bit-for-bit equal: yes" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="not bit-for-bit equal"):
        sl.check("bits", np.array([0.1 + 0.2]), np.array([0.3]), exact=True)


def test_check_long_label_wraps_within_80_columns(capsys):
    sl.check("x" * 60, np.ones(1), np.ones(1), atol=0.0, why="a reason that makes the verdict long")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(len(line) <= 80 for line in lines)


def test_check_handles_nan_and_inf(capsys):
    sl.check("specials", np.array([np.nan, np.inf, -np.inf]), np.array([np.nan, np.inf, -np.inf]))
    sl.check(
        "specials", np.array([np.nan, np.inf, -np.inf]), np.array([np.nan, np.inf, -np.inf]), ulps=1
    )
    with pytest.raises(AssertionError):
        sl.check("nan vs number", np.array([np.nan]), np.array([0.0]))
    with pytest.raises(AssertionError):
        sl.check("inf vs -inf", np.array([np.inf]), np.array([-np.inf]))
    with pytest.raises(AssertionError):
        sl.check("inf vs number", np.array([np.inf]), np.array([1.0]), rtol=1.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"rtol": -1.0}, ValueError, r"rtol must be a finite non-negative number, got -1\.0"),
        ({"ulps": float("nan")}, ValueError, r"ulps must be a finite non-negative number, got nan"),
        ({"rtol": 1e-9, "ulps": 2}, ValueError, r"give one kind of tolerance, got rtol and ulps"),
        (
            {"rtol": 1e-9, "exact": True},
            ValueError,
            r"give one kind of tolerance, got rtol and exact",
        ),
        ({"atol": 1.0, "why": 3}, TypeError, r"why must be a string, got int"),
    ],
)
def test_check_refuses_bad_tolerances(kwargs, error, message):
    with pytest.raises(error, match=message):
        sl.check("tol", np.zeros(2), np.zeros(2), **kwargs)


def test_check_refuses_shape_mismatch_and_bad_label():
    with pytest.raises(
        ValueError, match=r"computed has shape \(2,\) but reference has shape \(3,\)"
    ):
        sl.check("shapes", np.zeros(2), np.zeros(3))
    with pytest.raises(TypeError, match=r"label must be a string, got int"):
        sl.check(3, np.zeros(2), np.zeros(2))


@pytest.mark.parametrize(
    ("x", "text"),
    [(0.0, "= 0"), (1e-16, "< 1e-15"), (9.9e-16, "< 1e-15"), (1.0, "< 1e01"), (np.inf, "= inf")],
)
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
    with pytest.raises(
        ValueError, match=r"z must be a non-empty vector of shape \(L,\), got shape \(2, 2\)"
    ):
        sl.finite_difference_jacobian(sl.softmax, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"step must be a finite positive number, got 0\.0"):
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


def test_example_logits_are_the_hard_cases():
    cases = sl.example_logits()
    assert list(cases) == [
        "random, L = 3",
        "random, L = 10",
        "random, L = 50",
        "L = 1",
        "L = 2",
        "ties",
        "dominant",
        "large logits",
        "all underflow",
        "wide spread",
        "-inf entries",
    ]
    finite = np.concatenate([z[np.isfinite(z)] for z in cases.values()])
    assert (
        np.all(finite != np.round(finite)) or np.sum(finite == np.round(finite)) == 1
    )  # only the 0.0 of "wide spread"
    z = cases["ties"]
    assert np.sum(z == z.max()) == 3
    assert sl.softmax(cases["dominant"]).max() > 1 - 1e-13
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(cases["large logits"])).all()
    assert (np.exp(cases["all underflow"]) == 0).all()
    assert 0 < sl.softmax(cases["wide spread"]).min() < np.finfo(np.float64).tiny
    cases["L = 1"][0] = 5.0
    assert sl.example_logits()["L = 1"][0] != 5.0  # fresh arrays every call
    with pytest.raises(TypeError, match="seed must be an integer, got float"):
        sl.example_logits(1.5)


def test_jax_reference_matches_the_formula_and_refuses_unknown_names():
    z = sl.example_logits()["random, L = 10"]
    J = sl.softmax_jacobian(z)
    sl.check("jacfwd", np.asarray(sl.jax_reference("jacfwd")(z)), J, rtol=1e-10)
    sl.check(
        "lse grad", np.asarray(sl.jax_reference("logsumexp_grad")(z)), sl.softmax(z), rtol=1e-13
    )
    assert sl.jax_reference("jacrev") is sl.jax_reference("jacrev")
    with pytest.raises(
        ValueError, match=r"unknown JAX reference 'hessian'; expected one of softmax, jacfwd"
    ):
        sl.jax_reference("hessian")
    with pytest.raises(TypeError, match="name must be a string, got int"):
        sl.jax_reference(3)


def test_glue_keeps_the_value_and_refuses_a_bad_name():
    sl.glue("test-glue-value", 0.25, display=False)
    assert sl.GLUED["test-glue-value"] == 0.25
    with pytest.raises(TypeError, match="glue: name must be a string, got int"):
        sl.glue(3, 0.25)


def test_check_wraps_a_long_reason_within_80_columns(capsys):
    sl.check(
        "x" * 60,
        np.ones(1),
        np.ones(1),
        atol=1e-13,
        why="one rounded subtraction; B = 4 divides exactly, " * 2,
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 3 and all(len(line) <= 80 for line in lines) and lines[-1].endswith("yes")


def test_import_softmaxlab_loads_neither_jax_nor_matplotlib():
    # Start-up cost: JAX (about a second) and pyplot load when first used
    # (sl.device_mesh, sl.new_figure, sl.book_settings), not on import.
    import subprocess
    import sys

    # importlib.metadata (a tenth of a second) is read for __version__ on first use.
    code = (
        "import sys, softmaxlab; print(sorted(m for m in "
        "('jax', 'matplotlib.pyplot', 'importlib.metadata') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_version_is_pyproject_s():
    """The version is written once, in pyproject.toml; the package reads it from there."""
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    with pyproject.open("rb") as f:
        assert sl.__version__ == tomllib.load(f)["project"]["version"]
