"""Executed notebooks as HTML for readers: ``notebooks/NN_name.html`` of a run folder.

:func:`export_notebook_html` renders an executed notebook with nbconvert's lab template
through ``notebook.html.j2`` (in :data:`journeykit.viz.report.TEMPLATES`): no code, no
prompts, no injected-parameters cell, no scripts and no requests to the internet. Cell
outputs are reduced to an allow-list (:func:`clean_output_html`, with nh3); the
notebook's own Markdown prose is trusted and rendered as written.

Example:
    >>> clean_output_html('<p onclick="x()">hi</p><script>alert(1)</script>')
    '<p>hi</p>alert(1)'
"""

from __future__ import annotations

import functools
import os
import re
import threading
from pathlib import Path
from typing import Any

import nh3

from journeykit.core.safety import atomic_write_bytes
from journeykit.viz.report import TEMPLATES
from journeykit.viz.report.views import strip_source_paths

__all__ = ["clean_output_html", "export_notebook_html", "tidy_stderr"]

#: output types kept in the HTML export; everything else (JavaScript, widget views, SVG
#: that could carry scripts, Markdown/LaTeX renderings of data) falls back to text/plain
_SAFE_OUTPUT_TYPES = ("text/plain", "image/png", "image/jpeg")
_OUTPUT_TAGS = {"table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
                "div", "span", "p", "br", "hr", "b", "i", "em", "strong", "code", "pre", "ul", "ol",
                "li", "h1", "h2", "h3", "h4", "h5", "h6", "small", "sub", "sup", "blockquote"}
_OUTPUT_ATTRIBUTES = {"*": {"class"}, "th": {"colspan", "rowspan", "scope"}, "td": {"colspan", "rowspan"}}
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style>", re.IGNORECASE | re.DOTALL)


def clean_output_html(markup: str) -> str:
    """HTML produced by a cell (a DataFrame's table, say) reduced to an allow-list of
    presentational tags: no scripts, no event handlers, no links, no styles, no
    comments. Other tags are dropped and their text kept (escaped), as bleach's
    ``strip=True`` did; ``<style>`` blocks go entirely."""
    return nh3.clean(_STYLE_BLOCK.sub("", markup), tags=_OUTPUT_TAGS, attributes=_OUTPUT_ATTRIBUTES,
                     strip_comments=True, clean_content_tags=set())


def tidy_stderr(text: str) -> str:
    r"""A cell's stderr for readers: Python's warnings without the kit's source-file
    locations and without the echoed source line, each distinct warning once with its count.

    >>> tidy_stderr("/x/journeykit/kpis.py:810: UserWarning: few answers\n  warnings.warn(msg)\n" * 3)
    'UserWarning: few answers (3 times)\n'
    """
    lines = text.splitlines()
    kept: dict[str, int] = {}
    skip_next = False
    for line in lines:
        if skip_next and line.startswith((" ", "\t")):
            skip_next = False
            continue  # the source line Python's warnings print under the message
        skip_next = False
        cleaned = strip_source_paths(line)
        if cleaned != line:
            skip_next = True
        if cleaned.strip():
            kept[cleaned] = kept.get(cleaned, 0) + 1
    return "".join(f"{line} ({count} times)\n" if count > 1 else f"{line}\n" for line, count in kept.items())


def _sanitise_outputs(nb: Any) -> None:
    """Keep only safe output types; clean HTML outputs (the notebook's own Markdown
    prose is trusted and rendered as written); warnings on stderr without the kit's
    source paths (:func:`tidy_stderr`)."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output["text"] = tidy_stderr(str(output.get("text", "")))
                continue
            data = output.get("data")
            if not data:
                continue
            for key in list(data):
                if key == "text/html":
                    data[key] = clean_output_html(data[key])
                elif key not in _SAFE_OUTPUT_TYPES:
                    del data[key]


_EXPORT_LOCK = threading.Lock()


def export_notebook_html(executed: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Export the executed notebook ``executed`` to HTML in ``target`` (written
    atomically) for readers: no code, no prompts, no injected-parameters cell, no scripts
    or requests to the internet (MathJax, require.js and widget scripts are left out;
    cell outputs are sanitised to an allow-list, the notebook's own Markdown is rendered).
    Returns ``target`` as a Path."""
    import nbformat  # with nbconvert: heavy, only when a notebook is exported

    nb = nbformat.read(executed, as_version=4)
    _sanitise_outputs(nb)
    with _EXPORT_LOCK:  # one exporter per process: its templates are compiled once, not per notebook
        body, _ = _html_exporter().from_notebook_node(nb, resources={"metadata": {"name": Path(executed).stem}})
    return atomic_write_bytes(target, body.encode("utf-8"))


@functools.cache
def _html_exporter() -> Any:
    """The nbconvert exporter of :func:`export_notebook_html` (built once per process)."""
    from jinja2 import FileSystemLoader
    from nbconvert import HTMLExporter  # heavy (its templates, pygments): built once, when needed
    from nbconvert.preprocessors import TagRemovePreprocessor

    remover = TagRemovePreprocessor(remove_cell_tags={"injected-parameters", "parameters", "remove_cell"},
                                    enabled=True)
    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        sanitize_html=False,  # done above with a wider allow-list (nbconvert's default escapes <p>, <h2>, <table>)
        embed_images=True,
        extra_loaders=[FileSystemLoader(str(TEMPLATES))],
        template_file="notebook.html.j2",
    )
    exporter.register_preprocessor(remover, enabled=True)
    return exporter
