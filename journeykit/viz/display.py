"""How a journeykit notebook shows things: charts as pictures, tables from data as
text (never as markup).

journeykit's charts are built without pyplot (nothing piles up in long headless runs),
so IPython needs to be told to render a returned Figure as a PNG; and JupyterLab
typesets LaTeX (``$...$``) inside HTML outputs, so a customer comment like
``$\\frac{1}{0}$`` would render as a formula in a DataFrame. :func:`setup_notebook`
does both; pandas already escapes ``<`` and ``&`` in table cells. It also makes every
DataFrame and Series a notebook shows go through
:func:`journeykit.core.privacy.mask_frame` first (e-mail, phone, IBAN and card numbers
masked in the output; the data itself is unchanged).

Example:
    >>> import pandas as pd
    >>> setup_notebook()
    >>> "tex2jax_ignore" in pd.DataFrame({"comment": ["$x$"]})._repr_html_()
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from journeykit.core.durations import duration_text
from journeykit.core.privacy import mask_frame
from journeykit.viz.style import STYLE_RC

#: resolution of charts shown in a notebook (saved report figures have their own)
NOTEBOOK_DPI = 100


def setup_notebook(*, max_colwidth: int = 120, dpi: int = NOTEBOOK_DPI) -> None:
    """Call once at the top of a notebook: Figures display as PNG pictures, their text drawn
    unhinted as journeykit's charts measure it; pandas tables are not typeset as LaTeX;
    long text is cut at ``max_colwidth`` characters; numbers are shown as
    :func:`number_text` writes them and a missing value as an en dash (not ``NaN``).
    Outside IPython only the pandas options are set."""
    import matplotlib as mpl  # loaded by the first chart anyway; here only its rcParams

    # draw text as the charts measured it (see journeykit.viz.style); matplotlib's default hints
    mpl.rcParams["text.hinting"] = STYLE_RC["text.hinting"]
    pd.set_option("display.html.use_mathjax", False)
    pd.set_option("display.max_colwidth", max_colwidth)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.float_format", number_text)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    shell = get_ipython()
    if shell is None:
        return
    from IPython.core.pylabtools import select_figure_formats

    select_figure_formats(shell, {"png"}, dpi=dpi, bbox_inches="tight")
    register_masked_tables(shell)


def number_text(value: float) -> str:
    """A float as a table in a notebook shows it: at most three significant decimals,
    thousands separated, no ``NaN``.

    >>> [number_text(v) for v in (0.6475753, 17.801047, 466.204565, 359058.2, 0.0, float("nan"))]
    ['0.648', '17.80', '466.20', '359,058', '0', '–']
    """
    if value != value:  # NaN
        return "–"
    size = abs(value)
    if size == 0:
        return "0"
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 1:
        return f"{value:,.2f}"
    return f"{value:.3f}" if size >= 0.001 else f"{value:.2g}"


def _shown(obj: pd.DataFrame) -> pd.DataFrame:
    """The masked copy of ``obj``, a missing text, integer or yes/no (``<NA>``) as an en dash,
    durations in words (``46 days 2 h``)."""
    masked = _masked(obj)
    for position in range(masked.shape[1]):
        column = masked.iloc[:, position]
        if pd.api.types.is_timedelta64_dtype(column):  # durations in words, as the report writes them
            masked.isetitem(position, column.map(duration_text).astype(object))
            continue
        plain_float = isinstance(column.dtype, np.dtype) and column.dtype.kind == "f"  # float_format shows NaN
        if not (plain_float or pd.api.types.is_datetime64_any_dtype(column)) and column.isna().any():
            masked.isetitem(position, column.astype(object).where(column.notna(), "–"))
    return masked


def _table_html(obj: pd.DataFrame) -> str:
    """The notebook HTML of a masked DataFrame, a missing value as an en dash."""
    return _shown(obj).to_html(
        na_rep="–", notebook=True, max_rows=pd.get_option("display.max_rows"),
        max_cols=pd.get_option("display.max_columns"), show_dimensions=pd.get_option("display.show_dimensions"))


def _table_text(obj: pd.DataFrame | pd.Series) -> str:
    if isinstance(obj, pd.Series):
        return repr(_masked(obj))
    return _shown(obj).to_string(na_rep="–", max_rows=pd.get_option("display.max_rows"),
                            max_cols=pd.get_option("display.max_columns"),
                            line_width=pd.get_option("display.width"))


def _masked(obj: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """``obj`` with its text cells masked (:func:`~journeykit.core.privacy.mask_frame`)."""
    if isinstance(obj, pd.Series):
        return mask_frame(obj.to_frame()).iloc[:, 0].rename(obj.name)
    return mask_frame(obj)


def register_masked_tables(shell: Any) -> None:
    """Make ``shell`` (an IPython shell) show DataFrames and Series masked: their HTML
    and plain-text outputs are those of the masked copy (a missing value as an en dash)."""
    formatters = shell.display_formatter.formatters
    for kind in (pd.DataFrame, pd.Series):
        formatters["text/plain"].for_type(kind, lambda obj, p, cycle: p.text(_table_text(obj)))
    formatters["text/html"].for_type(pd.DataFrame, _table_html)
