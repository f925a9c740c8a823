"""The notebooks' HTML export (journeykit.run.export): cell outputs reduced to an allow-list.

The expected strings are what bleach (deprecated upstream, replaced by nh3) produced
with the same allow-list, so the switch keeps the sanitising behaviour.
"""

from __future__ import annotations

import pytest

from journeykit.run.export import clean_output_html

CASES = [
    ("<script>alert(1)</script><p onclick='x'>hi</p>",
     'alert(1)<p>hi</p>'),
    ("<a href='javascript:alert(1)'>click</a>",
     'click'),
    ("<div style='color:red' class='c' id='i'>t</div><!-- c -->",
     '<div class="c">t</div>'),
    ('<table border=1><tr><td colspan=2 onclick=1>a</td></tr></table>',
     '<table><tbody><tr><td colspan="2">a</td></tr></tbody></table>'),
    ('a < b > c &amp; d',
     'a &lt; b &gt; c &amp; d'),
    ('<iframe src=x></iframe><object>o</object>',
     'o'),
    ('<p>unclosed <b>bold',
     '<p>unclosed <b>bold</b></p>'),
    ('<div><style scoped>.dataframe { color: red }</style><table class="dataframe"><thead><tr>'
     '<th scope="col">a</th></tr></thead><tbody><tr><td>&lt;script&gt;</td></tr></tbody></table></div>',
     '<div><table class="dataframe"><thead><tr><th scope="col">a</th></tr></thead><tbody><tr>'
     '<td>&lt;script&gt;</td></tr></tbody></table></div>'),
    ('<img src=x onerror=alert(1)><h2 id="t">Title</h2>',
     '<h2>Title</h2>'),
]


@pytest.mark.parametrize(("markup", "expected"), CASES)
def test_cell_html_keeps_only_presentational_tags(markup, expected):
    assert clean_output_html(markup) == expected


def test_a_dataframe_table_survives_with_its_text_escaped():
    import pandas as pd

    html = clean_output_html(pd.DataFrame({"text": ["<script>alert(1)</script>"]})._repr_html_())
    assert "<table" in html and "<style" not in html and "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
