"""Summary statistics with numpy: the pattern for a heavy, local-only dependency.

numpy comes from the `ml` extra, which Render never installs. So it is imported inside the
function, never at module level; the module is listed under [tool.render-pipeline.extra-modules]
in pyproject.toml, so the render-reqs check knows production never imports it; and a missing
extra raises an error that names the command to install it.
"""

from __future__ import annotations

from collections.abc import Sequence

from service_template.errors import ServiceTemplateError

EXTRA = "ml"


def summarize(values: Sequence[float]) -> dict[str, float]:
    """Mean, standard deviation, minimum and maximum of `values`.

    Raises:
        ServiceTemplateError: `values` is empty, or the `ml` extra is not installed.
    """
    try:
        import numpy as np
    except ImportError:
        raise ServiceTemplateError(
            f"summarize needs the {EXTRA!r} extra: uv sync --extra {EXTRA}"
        ) from None
    if not values:
        raise ServiceTemplateError("no values to summarize: pass at least one number")
    array = np.asarray(values, dtype=float)
    return {
        "mean": float(array.mean()),
        "std": float(array.std()),
        "min": float(array.min()),
        "max": float(array.max()),
    }
