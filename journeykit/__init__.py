"""journeykit: customer journey mapping for small businesses.

The public API is the names in ``__all__``, listed once in ``__init__.pyi``: the
analyses, charts and widgets the notebooks call, and the result types they get.
Each is imported on first use (``lazy_loader``), so ``import journeykit`` stays
fast and a notebook pays only for what it calls. Orchestration (running the
notebooks, building the report) lives in :mod:`journeykit.run`.

Example:
    >>> import journeykit as jk
    >>> ws = jk.load_workspace("data/sample")           # doctest: +SKIP
    >>> jk.nps(ws.feedback["nps"]).score                 # doctest: +SKIP
"""

import lazy_loader

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
__all__ = [*__all__, "__version__"]
