"""Problems found in a workspace, as data (after pandera's failure cases).

A :class:`Problem` names the file, the row as a spreadsheet shows it (the header is
row 1, so the first data row is row 2), the column, the offending value and what
was expected. A value is shown only as a short excerpt: at most
:data:`~journeykit.core.privacy.EXCERPT_CHARS` (40) characters, personal data masked
(:func:`~journeykit.core.privacy.mask_pii`), control and invisible characters escaped
(:func:`~journeykit.core.privacy.excerpt`); the ``expected`` text is masked too. That holds
wherever a problem is shown: ``str(problem)``, :meth:`Problem.to_dict`,
:func:`problems_frame`, :func:`format_problems`. :class:`WorkspaceError` carries a list
of them; the CLI prints them as a table (:func:`format_problems`) and exits 2, notebooks
show :meth:`WorkspaceError.to_frame`.

Example:
    >>> p = Problem(file="feedback.csv", row=5, column="nps", value="11",
    ...             expected="an integer 0-10")
    >>> str(p)
    "feedback.csv, row 5, column nps: '11' - expected an integer 0-10"
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

from journeykit.core.privacy import EXCERPT_CHARS, excerpt, mask_pii

Severity = Literal["error", "warning"]


class JourneykitError(Exception):
    """Base class of every error journeykit raises on purpose (never a bug)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workspace.

    ``row`` is the spreadsheet row (header = 1) or None when the problem concerns
    the whole file or column; ``column`` is the canonical column name (or None).
    """

    file: str
    expected: str
    row: int | None = None
    column: str | None = None
    value: object = None
    severity: Severity = "error"
    table: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        text = ", ".join(where)
        if self.value is not None:
            text += f": {_show(self.value)}"
        return f"{text} - expected {_expected(self.expected)}"

    def to_dict(self) -> dict:
        """The problem as plain values, the ``value`` as its short masked excerpt and
        ``expected`` masked: what tables, the manifest and the report show."""
        out = asdict(self)
        out["value"] = None if self.value is None else _show(self.value)
        out["expected"] = _expected(self.expected)
        return out


def _show(value: object) -> str:
    """A value as a problem message shows it: a quoted, masked excerpt of at most
    :data:`EXCERPT_CHARS` characters (:func:`journeykit.core.privacy.excerpt`)."""
    return excerpt(value, EXCERPT_CHARS)


def _expected(text: object) -> str:
    """The ``expected`` text of a problem with personal data masked (it may quote examples)."""
    return str(mask_pii(str(text)))


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """The problems as a table: severity, file, row, column, value, expected."""
    rows = [p.to_dict() for p in problems]
    columns = ["severity", "file", "row", "column", "value", "expected", "table"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["row"] = frame["row"].astype("Int64")
    return frame


def format_problems(problems: Iterable[Problem], *, limit: int = 50) -> str:
    """The problems as an aligned plain-text table, errors first (at most ``limit`` rows,
    then a count of the rest): what the command line prints.

    >>> print(format_problems([Problem(file="feedback.csv", row=5, column="nps", value="11",
    ...                                expected="an integer 0-10")]))
    severity  file          row  column  value  expected
    error     feedback.csv  5    nps     '11'   an integer 0-10
    """
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.file, p.row or 0))
    rows = [("severity", "file", "row", "column", "value", "expected")]
    for p in ordered[:limit]:
        value = "" if p.value is None else p.to_dict()["value"]
        rows.append((p.severity, p.file, "" if p.row is None else str(p.row), p.column or "", value,
                     _expected(p.expected)))
    caps = (40, 40, 40, 40, EXCERPT_CHARS + 4)  # the value column holds a quoted excerpt
    widths = [min(max(len(r[i]) for r in rows), caps[i]) for i in range(5)]
    lines = []
    for r in rows:
        cells = [r[i][:caps[i]].ljust(widths[i]) for i in range(5)]
        lines.append("  ".join(cells) + "  " + r[5])
    if len(ordered) > limit:
        lines.append(f"... and {len(ordered) - limit} more")
    return "\n".join(lines)


class WorkspaceError(JourneykitError):
    """A workspace that cannot be used as it is; ``problems`` says why."""

    def __init__(self, problems: list[Problem], message: str | None = None):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = message or f"{len(errors)} problem(s) in the workspace"
        lines = [head] + [f"  {p}" for p in errors[:20]]
        if len(errors) > 20:
            lines.append(f"  ... and {len(errors) - 20} more")
        super().__init__("\n".join(lines))

    def to_frame(self) -> pd.DataFrame:
        return problems_frame(self.problems)
