"""Book-wide settings, applied by the first cell of every notebook."""

from __future__ import annotations

import os

import numpy as np

from .plotting import use_book_style

__all__ = ["book_settings"]


def book_settings() -> None:
    """Fix everything that printed output depends on.

    * NumPy prints 6 significant digits, with no line wrapping surprises;
    * JAX runs on the CPU (``JAX_PLATFORMS=cpu``) in float64 (``jax_enable_x64``),
      so autodiff checks are made at the same precision as ``softmaxlab``;
    * matplotlib uses the book's style.

    Call it before anything imports :mod:`jax`'s backends.

    Examples
    --------
    >>> from softmaxlab import book_settings
    >>> book_settings()
    >>> import jax
    >>> jax.config.jax_enable_x64
    True
    """
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    np.set_printoptions(precision=6, suppress=False, linewidth=88)
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    use_book_style()
