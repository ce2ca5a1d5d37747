"""Tests for softmaxlab.interactive: the one-logit explorer and its static fallback."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import logit_vectors

import softmaxlab as sl

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def no_figures_left_open():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a test left a matplotlib figure open"


# --- softmax_along_coordinate ------------------------------------------------


def test_rows_are_softmax_of_the_moved_vector():
    z = np.array([0.3, -1.2, 2.0, 0.0])
    t = np.array([-3.0, 0.3, 5.0])
    rows = sl.softmax_along_coordinate(z, 2, t)
    assert rows.shape == (3, 4) and rows.dtype == np.float64
    for n, tn in enumerate(t):
        w = z.copy()
        w[2] = tn
        np.testing.assert_array_equal(rows[n], sl.softmax(w))


def test_negative_index_and_integer_input():
    rows = sl.softmax_along_coordinate([0, 1, 2], -1, [0, 1])
    np.testing.assert_array_equal(rows, sl.softmax_along_coordinate([0.0, 1.0, 2.0], 2, [0.0, 1.0]))


def test_single_logit_gives_one():
    np.testing.assert_array_equal(
        sl.softmax_along_coordinate([5.0], 0, [-1e3, 0.0, 1e3]), np.ones((3, 1))
    )


@given(logit_vectors(min_size=2, max_size=8, bound=30.0), st.data())
def test_moving_up_raises_own_output_and_lowers_the_others(z, data):
    j = data.draw(st.integers(0, z.size - 1))
    t = np.sort(
        np.asarray(
            data.draw(st.lists(st.floats(-30, 30), min_size=2, max_size=6, unique=True)),
            dtype=np.float64,
        )
    )
    rows = sl.softmax_along_coordinate(z, j, t)
    # Weakly, and only up to rounding: each output is within 4 ulp of the
    # exact value (sl.softmax's accuracy bound), so when the exact change is
    # below an ulp two computed outputs can differ by up to 8 ulp the wrong
    # way (seen: z = [29.3, 0, 0, 0, 0], z_1 from -9 to -8, the others rose
    # by 1 ulp). The strict statements are proved and checked in the
    # monotonicity chapter.
    slack = 8 * sl.ulp(np.maximum(rows[1:], rows[:-1]))
    steps = np.diff(rows, axis=0)
    assert np.all(steps[:, j] >= -slack[:, j])
    others = np.delete(steps, j, axis=1)
    assert np.all(others <= np.delete(slack, j, axis=1))
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, rtol=0, atol=4e-16 * z.size)


@pytest.mark.parametrize(
    ("z", "j", "values", "exc", "message"),
    [
        ("abc", 0, [0.0], TypeError, r"z must be an array of real numbers, got a str"),
        (
            [[0.0, 1.0]],
            0,
            [0.0],
            ValueError,
            r"z must be a vector of shape \(L,\), got shape \(1, 2\)",
        ),
        (
            [],
            0,
            [0.0],
            ValueError,
            r"z has shape \(0,\): axis 0 is empty; softmax needs at least one logit",
        ),
        ([0.0, np.inf], 0, [0.0], ValueError, r"z must be finite"),
        ([0.0, np.nan], 0, [0.0], ValueError, r"z must be finite"),
        ([0.0, 1.0], 1.0, [0.0], TypeError, r"j must be an int index, got float 1\.0"),
        ([0.0, 1.0], True, [0.0], TypeError, r"j must be an int index, got bool True"),
        (
            [0.0, 1.0],
            2,
            [0.0],
            ValueError,
            r"j=2 is out of range for length 2; expected an integer in \[-2, 1\]",
        ),
        ([0.0, 1.0], -3, [0.0], ValueError, r"j=-3 is out of range for length 2"),
        (
            [0.0, 1.0],
            0,
            [],
            ValueError,
            r"values must be a non-empty vector of shape \(n,\), got shape \(0,\)",
        ),
        ([0.0, 1.0], 0, 1.0, ValueError, r"values is a scalar"),
        (
            [0.0, 1.0],
            0,
            [[1.0]],
            ValueError,
            r"values must be a non-empty vector of shape \(n,\), got shape \(1, 1\)",
        ),
        ([0.0, 1.0], 0, [np.nan], ValueError, r"values must be finite"),
        ([0.0, 1.0], 0, [1 + 2j], TypeError, r"values has complex dtype"),
    ],
)
def test_bad_input_messages(z, j, values, exc, message):
    with pytest.raises(exc, match=message):
        sl.softmax_along_coordinate(z, j, values)


# --- the figures -------------------------------------------------------------


def test_plot_coordinate_view_draws_every_output():
    fig = sl.plot_coordinate_view([0.0, 1.0, 2.0, -1.0], 1, 3.0, span=2.0)
    left, right = fig.axes
    assert (
        len(left.get_lines()) == 4 * 2 + 1
    )  # a curve and a marker per output, and the marker line
    assert left.get_xlabel() == "$z_{2}$ (the others fixed)" and left.get_ylabel() == "output"
    assert len(right.patches) == 2 * 4  # filled bars and reference outlines
    assert [t.get_text() for t in right.texts] == [
        f"{x:.2f}" for x in sl.softmax([0.0, 3.0, 2.0, -1.0])
    ]
    plt.close(fig)


def test_plot_coordinate_view_widens_range_to_include_value():
    fig = sl.plot_coordinate_view([0.0, 0.0], 0, 10.0, span=1.0)
    x = fig.axes[0].get_lines()[0].get_xdata()
    assert x.min() == -1.0 and x.max() == 10.0
    plt.close(fig)


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"value": "1"}, TypeError, r"value must be a real number, got str '1'"),
        ({"value": np.inf}, ValueError, r"value must be finite, got inf"),
        (
            {"value": 0.0, "span": 0.0},
            ValueError,
            r"span must be a finite positive number, got 0\.0",
        ),
        ({"value": 0.0, "span": None}, TypeError, r"span must be a real number, got NoneType None"),
    ],
)
def test_plot_coordinate_view_bad_input(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        sl.plot_coordinate_view([0.0, 1.0], 0, **kwargs)


def test_small_multiples_one_panel_per_value_in_rows_of_three():
    fig = sl.coordinate_small_multiples([0.0, 1.0, 2.0], 2, [-1.0, 2.0, 4.0, 6.0])
    assert [ax.get_title() for ax in fig.axes] == [
        "$z_{3} = -1.00$",
        "$z_{3} = 2.00$",
        "$z_{3} = 4.00$",
        "$z_{3} = 6.00$",
    ]
    assert [ax.get_ylabel() for ax in fig.axes] == ["output", "", "", "output"]  # first column only
    assert np.allclose(fig.get_size_inches(), [6.9, 4.4])  # two rows of three, one slot removed
    plt.close(fig)


def test_small_multiples_single_panel():
    fig = sl.coordinate_small_multiples([0.0, 1.0], 0, [0.5])
    assert len(fig.axes) == 1 and fig.axes[0].get_title() == "$z_{1} = 0.50$"
    plt.close(fig)


def test_small_multiples_refuses_too_many_panels():
    with pytest.raises(ValueError, match=r"at most 8 panels fit on a page; got 9 values"):
        sl.coordinate_small_multiples([0.0, 1.0], 0, np.arange(9.0))


# --- the explorer --------------------------------------------------------------


def test_explorer_redraws_on_slider_change_silently(capfd):
    import ipywidgets as widgets

    box = sl.coordinate_explorer([0.5, -1.0, 2.0], 1, span=3.0, step=0.25)
    slider, image = box.children
    assert (
        isinstance(box, widgets.VBox)
        and isinstance(slider, widgets.FloatSlider)
        and isinstance(image, widgets.Image)
    )
    assert (slider.min, slider.value, slider.max, slider.step) == (-4.0, -1.0, 2.0, 0.25)
    assert image.format == "png" and bytes(image.value).startswith(PNG_MAGIC)
    first = bytes(image.value)
    slider.value = 1.5
    second = bytes(image.value)
    assert second.startswith(PNG_MAGIC) and second != first
    slider.value = -1.0
    assert bytes(image.value) == first  # the same value draws the same picture
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # nothing printed, nothing on stderr
    assert plt.get_fignums() == []  # every figure was closed after rendering


def test_explorer_works_for_one_logit(capfd):
    box = sl.coordinate_explorer([7.0], 0)
    box.children[0].value = 9.0
    assert bytes(box.children[1].value).startswith(PNG_MAGIC)
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"span": -1.0}, ValueError, r"span must be a finite positive number, got -1\.0"),
        ({"step": 0.0}, ValueError, r"step must be in \(0, span\] = \(0, 4\.0\], got 0\.0"),
        ({"step": 5.0}, ValueError, r"step must be in \(0, span\]"),
        ({"step": "0.1"}, TypeError, r"step must be a real number, got str '0\.1'"),
    ],
)
def test_explorer_bad_input(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        sl.coordinate_explorer([0.0, 1.0], 0, **kwargs)


def test_explorer_bad_logits():
    with pytest.raises(ValueError, match=r"j=5 is out of range for length 2"):
        sl.coordinate_explorer([0.0, 1.0], 5)


def test_explorer_as_chapter_two_builds_it(capfd):
    # The slider of the monotonicity chapter (z = (1, 0.5, -0.5, 2), j = 0,
    # span 4): dragging it redraws the image, dragging it back restores the
    # first picture, and nothing is printed or warned (warnings are errors in
    # this test suite). The chapter shows the widget; this is its test.
    box = sl.coordinate_explorer(np.array([1.0, 0.5, -0.5, 2.0]), 0, span=4.0)
    slider, image = box.children
    assert (slider.min, slider.value, slider.max) == (-3.0, 1.0, 5.0)
    before = bytes(image.value)
    slider.value = 3.0
    after = bytes(image.value)
    slider.value = 1.0
    assert after != before and bytes(image.value) == before
    assert capfd.readouterr() == ("", "")
    assert plt.get_fignums() == []


# --- import cost -----------------------------------------------------------------


def test_interactive_imports_no_plotting_or_widgets_at_module_level():
    # matplotlib.pyplot and ipywidgets load only when a figure or widget is
    # made, so that `import softmaxlab` stays quick (issue 12).
    import ast
    import inspect

    import softmaxlab.interactive as mod

    tree = ast.parse(inspect.getsource(mod))
    top = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            top.add(("." * node.level) + (node.module or ""))
    assert not {"matplotlib", "matplotlib.pyplot", "ipywidgets", ".plotting"} & top, top


def test_import_softmaxlab_does_not_load_ipywidgets():
    import subprocess
    import sys

    code = "import sys, softmaxlab; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out
