"""``glue``: hand a value computed in a cell to the book's prose.

The book's text quotes numbers through myst-nb's ``{glue}`` roles, so prose
and output cannot disagree. myst-nb is part of the book's build, not of the
helper package a reader installs in Colab or Binder; there :func:`glue` keeps
the value in :data:`GLUED` and shows it only if asked, so every notebook runs
the same way with or without the book's build tools.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GLUED", "glue"]

#: Every value glued in this process, by name (also where myst-nb is missing).
GLUED: dict[str, Any] = {}


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Store ``variable`` under ``name`` for the book's ``{glue}`` roles.

    With myst-nb installed (the book's build) this is :func:`myst_nb.glue`;
    without it the value is only kept in :data:`GLUED` (and shown when
    ``display`` is true), which is all a notebook outside the book needs.

    Parameters
    ----------
    name : str
        The key the text uses, as in ``{glue:text}`name:.3g```.
    variable : object
        The value.
    display : bool
        Also show the value as the cell's output.

    Raises
    ------
    TypeError
        If ``name`` is not a string.

    Examples
    --------
    >>> from softmaxlab import GLUED, glue
    >>> glue("answer", 42, display=False)
    >>> GLUED["answer"]
    42
    """
    if not isinstance(name, str):
        raise TypeError(f"glue: name must be a string, got {type(name).__name__}")
    GLUED[name] = variable
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(variable)
        return
    myst_glue(name, variable, display=display)
