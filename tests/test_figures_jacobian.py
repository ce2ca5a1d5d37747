"""softmaxlab.figures_jacobian: the Jacobian heatmap of chapter 3."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import softmaxlab as sl


def test_heatmap_shows_every_entry_in_the_book_layout():
    z = np.array([1.5, 0.2, -0.4])
    J = sl.softmax_jacobian(z)
    fig = sl.jacobian_heatmap(J)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts == [f"{J[j, i]:+.3f}" for j in range(3) for i in range(3)]
    # row j is drawn at y = j: the image array is J itself, not its transpose
    np.testing.assert_array_equal(ax.images[0].get_array(), J)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    assert "input" in ax.get_xlabel() and "output" in ax.get_ylabel()
    lo, hi = ax.images[0].get_clim()
    assert lo == -hi == -np.max(np.abs(J))
    plt.close(fig)


def test_heatmap_marks_the_darkest_cells_white():
    J = np.array([[1.0, -0.1], [-0.1, 0.5]])
    fig = sl.jacobian_heatmap(J, dark=0.6)
    colours = [t.get_color() for t in fig.axes[0].texts]
    assert colours == ["white", "black", "black", "black"]
    plt.close(fig)


@pytest.mark.parametrize(
    ("J", "error", "match"),
    [
        (np.zeros((2, 3)), ValueError, "square matrix"),
        (np.zeros((0, 0)), ValueError, "square matrix"),
        (np.array([[np.nan]]), ValueError, "finite"),
        ("J", TypeError, "real numbers"),
    ],
)
def test_heatmap_refuses_bad_input(J, error, match):
    with pytest.raises(error, match=match):
        sl.jacobian_heatmap(J)


def test_heatmap_refuses_bad_dark():
    with pytest.raises(ValueError, match=r"dark must be a number in \[0, 1\]"):
        sl.jacobian_heatmap(np.eye(2), dark=2.0)
