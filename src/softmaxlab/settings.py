"""Book-wide settings, applied by the first cell of every notebook."""

from __future__ import annotations

import os

import numpy as np

from ._validation import integer
from .plotting import use_book_style

__all__ = ["book_settings"]


def book_settings(*, cpu_devices: int | None = None) -> None:
    """Fix everything that printed output depends on.

    * NumPy prints 6 significant digits, with no line wrapping surprises;
    * JAX runs on the CPU (``JAX_PLATFORMS=cpu``) in float64 (``jax_enable_x64``),
      so autodiff checks are made at the same precision as ``softmaxlab``;
    * with ``cpu_devices=N``, JAX shows the CPU as ``N`` devices
      (``jax_num_cpu_devices``), so that programs split over a device mesh
      run on one machine; without it the device count is left alone;
    * matplotlib uses the book's style.

    Call it before anything imports :mod:`jax`'s backends: the device count
    can only be set before JAX's first computation.

    Parameters
    ----------
    cpu_devices : int, optional
        The number of CPU devices, at least 1.

    Raises
    ------
    TypeError
        If ``cpu_devices`` is not an int.
    ValueError
        If ``cpu_devices`` is less than 1.
    RuntimeError
        If JAX has already started with a different number of devices
        (restart the kernel and call this first).

    Examples
    --------
    >>> from softmaxlab import book_settings
    >>> book_settings()
    >>> import jax
    >>> jax.config.jax_enable_x64
    True
    """
    if cpu_devices is not None:
        cpu_devices = integer(cpu_devices, "cpu_devices", minimum=1)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    np.set_printoptions(precision=6, suppress=False, linewidth=88)
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    # JAX makes each option an attribute of its Config at run time; its type
    # stubs do not list them, hence the one narrow ignore.
    started = jax.config.jax_num_cpu_devices  # type: ignore[attr-defined]
    if cpu_devices is not None and started != cpu_devices:
        try:
            jax.config.update("jax_num_cpu_devices", cpu_devices)
        except RuntimeError:  # JAX's backends are running already
            if len(jax.devices()) != cpu_devices:
                raise RuntimeError(
                    f"JAX has already started with {len(jax.devices())} CPU device(s), "
                    f"so it cannot show {cpu_devices}; restart the kernel and call "
                    f"book_settings(cpu_devices={cpu_devices}) before any JAX computation"
                ) from None
    use_book_style()
