"""Tests for softmaxlab.figures: the probability triangle for L = 3."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

import softmaxlab as sl


@pytest.fixture(autouse=True)
def no_figures_left_open():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a test left a matplotlib figure open"


def test_corners_and_centre():
    np.testing.assert_array_equal(sl.simplex_xy(np.eye(3)), sl.SIMPLEX_CORNERS)
    centre = sl.simplex_xy(np.full(3, 1 / 3))
    np.testing.assert_allclose(centre, sl.SIMPLEX_CORNERS.mean(axis=0), rtol=1e-15)
    # equilateral with side 1
    c = sl.SIMPLEX_CORNERS
    sides = [np.linalg.norm(c[i] - c[(i + 1) % 3]) for i in range(3)]
    np.testing.assert_allclose(sides, 1.0, rtol=1e-15)


def test_batches_keep_their_shape_and_are_affine():
    a = sl.softmax(np.random.default_rng(0).normal(size=(4, 5, 3)))
    xy = sl.simplex_xy(a)
    assert xy.shape == (4, 5, 2) and xy.dtype == np.float64
    # a convex combination of points maps to the same combination of images
    mix = 0.3 * a[0, 0] + 0.7 * a[1, 1]
    np.testing.assert_allclose(sl.simplex_xy(mix), 0.3 * xy[0, 0] + 0.7 * xy[1, 1], rtol=1e-14)


def test_points_inside_the_triangle_land_inside():
    a = sl.softmax(np.random.default_rng(1).normal(scale=3.0, size=(500, 3)))
    x, y = sl.simplex_xy(a).T
    # inside: above the base, below both slanted sides
    assert np.all(y > 0) and np.all(y < np.sqrt(3) * x) and np.all(y < np.sqrt(3) * (1 - x))


@pytest.mark.parametrize(
    ("a", "exc", "message"),
    [
        (
            [0.5, 0.5],
            ValueError,
            r"a must have a last axis of length 3 \(a point of the triangle\), got shape \(2,\)",
        ),
        (np.zeros((2, 4)), ValueError, r"got shape \(2, 4\)"),
        ("abc", TypeError, r"a must be an array of real numbers, got a str"),
        ([1j, 0, 0], TypeError, r"a has complex dtype"),
    ],
)
def test_bad_input_messages(a, exc, message):
    with pytest.raises(exc, match=message):
        sl.simplex_xy(a)


def test_draw_simplex_draws_outline_segments_and_labels():
    fig, ax = sl.new_figure()
    assert sl.draw_simplex(ax) is ax
    lines = ax.get_lines()
    assert len(lines) == 1 + 3 + 1  # outline, three segments, the centre marker
    dashed = [ln for ln in lines if ln.get_linestyle() == "--"]
    assert len(dashed) == 3
    centre = sl.simplex_xy(np.full(3, 1 / 3))
    for j, ln in enumerate(dashed):
        xy = np.column_stack([ln.get_xdata(), ln.get_ydata()])
        np.testing.assert_allclose(xy[0], centre, rtol=1e-15)
        # the far end is the midpoint of the edge opposite corner j, where the
        # two largest probabilities (the entries other than j) are equal
        others = [k for k in range(3) if k != j]
        np.testing.assert_allclose(
            xy[1], sl.SIMPLEX_CORNERS[others].mean(axis=0), rtol=1e-15, atol=1e-16
        )
    assert [t.get_text() for t in ax.texts] == [f"$e_{j}$ ($a_{j} = 1$)" for j in (1, 2, 3)]
    assert not ax.axison
    plt.close(fig)
