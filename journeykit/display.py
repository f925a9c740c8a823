"""How tables from data are shown in a notebook: as text, never as markup.

JupyterLab typesets LaTeX (``$...$``) inside HTML outputs, so a customer comment like
``$\\frac{1}{0}$`` would render as a formula in a DataFrame. :func:`safe_display`
switches pandas' HTML tables to ``tex2jax_ignore`` (MathJax leaves them alone) and
keeps long comments readable. pandas already escapes ``<`` and ``&`` in cells.

Example:
    >>> import pandas as pd
    >>> safe_display()
    >>> "tex2jax_ignore" in pd.DataFrame({"comment": ["$x$"]})._repr_html_()
    True
"""

from __future__ import annotations

import pandas as pd


def safe_display(*, max_colwidth: int = 120) -> None:
    """Set the pandas display options every journeykit notebook uses (call once at the
    top): no LaTeX typesetting of table cells, long text cut at ``max_colwidth``."""
    pd.set_option("display.html.use_mathjax", False)
    pd.set_option("display.max_colwidth", max_colwidth)
    pd.set_option("display.max_columns", 30)
