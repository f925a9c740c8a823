"""Text that fits: wrap and shorten text to a width in inches, measured as it will be drawn.

Every chart that prints workshop text (stage descriptions, touchpoint names, pain
points, persona quotes) fits it with :class:`TextFitter`, which measures strings with
the Agg renderer of the figure they go on. Text that does not fit is shortened with
"…"; wrapped text breaks between words, a word wider than the line is hyphenated.
Text is masked (:func:`journeykit.core.privacy.mask_pii`) before it is fitted, so an
e-mail address or phone number is never drawn, not even split across two lines.

Example:
    >>> from matplotlib.figure import Figure
    >>> fit = TextFitter(Figure())
    >>> fit.shorten("A rather long touchpoint name", 0.8, 9).endswith(ELLIPSIS)
    True
    >>> len(fit.wrap("one two three four five six", 0.6, 9, 2))
    2
"""

from __future__ import annotations

from typing import Any, cast

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from journeykit.core.privacy import mask_pii

__all__ = ["ELLIPSIS", "TextFitter", "line_height"]

ELLIPSIS = "…"


class TextFitter:
    """Wrap and shorten text to a width in inches, measured with the Agg renderer."""

    def __init__(self, fig: Figure):
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        self.renderer = canvas.get_renderer()
        self.dpi = fig.dpi
        self._cache: dict[tuple[str, float, str, str], float] = {}

    def width(self, text: str, size: float, weight: str = "normal", style: str = "normal") -> float:
        key = (text, size, weight, style)
        if key not in self._cache:
            prop = FontProperties(size=size, weight=weight, style=cast(Any, style))
            w, _, _ = self.renderer.get_text_width_height_descent(text, prop, ismath=False)
            # 6 % safety: glyph widths differ slightly between dpi (hinting) and backends
            self._cache[key] = 1.06 * w / self.dpi
        return self._cache[key]

    def shorten(self, text: str, width: float, size: float, **font: str) -> str:
        """``text`` (masked) as it fits in ``width`` inches at ``size`` points: whole, or cut with …."""
        text = str(mask_pii(text))
        # no glyph is narrower than ~0.25 em: longer prefixes cannot fit (saves measuring)
        limit = int(width * 72.0 / (0.25 * size)) + 2
        if len(text) <= limit and self.width(text, size, **font) <= width:
            return text
        lo, hi = 0, min(len(text), limit)
        while lo < hi:  # longest prefix p with width(p + …) <= width
            mid = (lo + hi + 1) // 2
            if self.width(text[:mid].rstrip() + ELLIPSIS, size, **font) <= width:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo].rstrip() + ELLIPSIS if lo else ELLIPSIS

    def _words_that_fit(self, head: str, words: list[str], width: float, size: float,
                        font: dict[str, str]) -> int:
        """The largest k such that ``head`` followed by ``words[:k]`` is no wider than ``width``."""
        def line(k: int) -> str:
            return " ".join(([head] if head else []) + words[:k])

        if self.width(line(len(words)), size, **font) <= width:
            return len(words)
        low, high = 0, len(words) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.width(line(middle), size, **font) <= width:
                low = middle
            else:
                high = middle - 1
        return low

    def wrap(self, text: str, width: float, size: float, max_lines: int, **font: str) -> list[str]:
        """At most ``max_lines`` lines no wider than ``width``; the last ends in … if cut."""
        if max_lines <= 0:
            return []
        text = str(mask_pii(text))
        lines: list[str] = []
        all_words = text.split()
        for paragraph in text.splitlines() or [""]:
            words = paragraph.split()
            current, i = "", 0
            while i < len(words) and len(lines) <= max_lines:
                # greedy filling, with the words that still fit found by bisection (widths
                # grow with every word, so this is the greedy result with fewer measurements)
                fitting = self._words_that_fit(current, words[i:], width, size, font)
                current = " ".join(([current] if current else []) + words[i:i + fitting])
                i += fitting
                if i == len(words):
                    break
                if current:
                    lines.append(current)
                current, i = words[i], i + 1
                while self.width(current, size, **font) > width and len(current) > 1:
                    cut = len(self.shorten(current, width, size, **font)) - 1
                    cut = max(1, cut)
                    lines.append(current[:cut] + "-" if cut < len(current) else current)
                    current = current[cut:]
            if current:
                lines.append(current)
            if len(lines) > max_lines:
                break
        if len(lines) > max_lines:
            kept = lines[:max_lines]
            # the last kept line, followed by the words that did not fit, shortened: ends in …
            shown = sum(len(line.split()) for line in kept)
            rest = " ".join(all_words[shown:shown + 3]) or ELLIPSIS
            last = self.shorten(f"{kept[-1]} {rest}", width, size, **font)
            if not last.endswith(ELLIPSIS):
                last = self.shorten(kept[-1] + ELLIPSIS * 40, width, size, **font)
            kept[-1] = last
            lines = kept
        return lines


def line_height(size: float) -> float:
    """Height in inches one text line takes (with its spacing)."""
    return size * 1.32 / 72.0

