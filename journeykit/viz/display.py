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

import pandas as pd

from journeykit.core.privacy import mask_frame
from journeykit.viz.style import STYLE_RC

#: resolution of charts shown in a notebook (saved report figures have their own)
NOTEBOOK_DPI = 100


def setup_notebook(*, max_colwidth: int = 120, dpi: int = NOTEBOOK_DPI) -> None:
    """Call once at the top of a notebook: Figures display as PNG pictures, their text drawn
    unhinted as journeykit's charts measure it; pandas tables are not typeset as LaTeX;
    long text is cut at ``max_colwidth`` characters.
    Outside IPython only the pandas options are set."""
    import matplotlib as mpl  # loaded by the first chart anyway; here only its rcParams

    # draw text as the charts measured it (see journeykit.viz.style); matplotlib's default hints
    mpl.rcParams["text.hinting"] = STYLE_RC["text.hinting"]
    pd.set_option("display.html.use_mathjax", False)
    pd.set_option("display.max_colwidth", max_colwidth)
    pd.set_option("display.max_columns", 30)
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


def _masked(obj: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """``obj`` with its text cells masked (:func:`~journeykit.core.privacy.mask_frame`)."""
    if isinstance(obj, pd.Series):
        return mask_frame(obj.to_frame()).iloc[:, 0].rename(obj.name)
    return mask_frame(obj)


def register_masked_tables(shell: Any) -> None:
    """Make ``shell`` (an IPython shell) show DataFrames and Series masked: their HTML
    and plain-text outputs are those of the masked copy."""
    formatters = shell.display_formatter.formatters
    for kind in (pd.DataFrame, pd.Series):
        formatters["text/plain"].for_type(kind, lambda obj, p, cycle: p.text(repr(_masked(obj))))
    formatters["text/html"].for_type(pd.DataFrame, lambda obj: _masked(obj)._repr_html_())
