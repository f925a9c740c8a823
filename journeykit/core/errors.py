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

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
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
        # field by field, not dataclasses.asdict (which deep-copies every value: the CSV of
        # 60,000 problems spent most of its time there)
        return {"file": self.file, "expected": _expected(self.expected), "row": self.row,
                "column": self.column, "value": None if self.value is None else _show(self.value),
                "severity": self.severity, "table": self.table}


def _show(value: object) -> str:
    """A value as a problem message shows it: a quoted, masked excerpt of at most
    :data:`EXCERPT_CHARS` characters (:func:`journeykit.core.privacy.excerpt`)."""
    return _excerpt_of(str(value))


@lru_cache(maxsize=65536)
def _excerpt_of(text: str) -> str:
    """:func:`excerpt` of a value's text, cached: a bad value often repeats on many rows."""
    return excerpt(text, EXCERPT_CHARS)


def _expected(text: object) -> str:
    """The ``expected`` text of a problem with personal data masked (it may quote examples)."""
    return _masked_text(str(text))


@lru_cache(maxsize=4096)
def _masked_text(text: str) -> str:
    """:func:`mask_pii` of an ``expected`` text, cached: the problems of one kind share it."""
    return str(mask_pii(text))


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


#: what varies from one problem of a kind to the next inside ``expected`` (a row number)
_ROW_REFERENCE = re.compile(r"\brow \d+")


def problem_kind(problem: Problem) -> str:
    """The kind of a problem: its ``expected`` text (masked) with row numbers it quotes
    replaced by ``row …``, so that every duplicate of a column is one kind.

    >>> problem_kind(Problem("orders.csv", "a unique order_id (also in row 7)", 9, "order_id", "O1"))
    'a unique order_id (also in row …)'
    """
    return _kind_of(str(problem.expected))


@lru_cache(maxsize=4096)
def _kind_of(expected: str) -> str:
    return _ROW_REFERENCE.sub("row …", _masked_text(expected))


def problem_summary(problems: Iterable[Problem]) -> pd.DataFrame:
    """One row per (severity, file, column, kind of problem): how many problems of that
    kind there are, errors first, then the largest counts.

    Columns: severity, file, column ("" for a problem of the whole file), kind
    (:func:`problem_kind`), count (int).

    >>> summary = problem_summary([Problem("o.csv", "a number", r, "amount", "x") for r in (2, 3)])
    >>> summary[["file", "column", "kind", "count"]].values.tolist()
    [['o.csv', 'amount', 'a number', 2]]
    """
    counts: dict[tuple[str, str, str, str], int] = {}
    for p in problems:
        key = (p.severity, p.file, p.column or "", problem_kind(p))
        counts[key] = counts.get(key, 0) + 1
    rows = sorted(counts.items(), key=lambda item: (item[0][0] != "error", -item[1], item[0][1:]))
    return pd.DataFrame([(*key, count) for key, count in rows],
                        columns=["severity", "file", "column", "kind", "count"]).astype({"count": "int64"})


def format_problem_summary(problems: Iterable[Problem], *, examples: int = 3) -> str:
    """The problems as the command line prints them: first one line per (file, column,
    kind of problem) with its count, errors first; then, for each kind, its first
    ``examples`` problems (row and value) and how many more there are.

    >>> print(format_problem_summary([Problem("o.csv", "a number >= 0", r, "amount", "x") for r in (2, 3)],
    ...                              examples=1))
    severity  count  file   column  problem
    error         2  o.csv  amount  a number >= 0
    <BLANKLINE>
    First examples of each:
    o.csv, column amount - expected a number >= 0 (2 error(s)):
      row 2: 'x'
      ... and 1 more
    """
    listed = list(problems)
    summary = problem_summary(listed)
    groups: dict[tuple[str, str, str, str], list[Problem]] = {}
    for p in sorted(listed, key=lambda p: p.row or 0):
        group = groups.setdefault((p.severity, p.file, p.column or "", problem_kind(p)), [])
        if len(group) < examples:
            group.append(p)
    rows = [("severity", "count", "file", "column", "problem")]
    rows += [(r.severity, f"{r.count:,}", r.file, r.column, r.kind) for r in summary.itertuples()]
    widths = [min(max(len(r[i]) for r in rows), 40) for i in range(4)]
    lines = []
    for r in rows:
        cells = [r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2][:40].ljust(widths[2]), r[3][:40].ljust(widths[3])]
        lines.append("  ".join(cells) + "  " + r[4])
    lines += ["", "First examples of each:"]
    for r in summary.itertuples():
        key = (r.severity, r.file, r.column, r.kind)
        where = r.file + (f", column {r.column}" if r.column else "")
        lines.append(f"{where} - expected {r.kind} ({r.count:,} {r.severity}(s)):")
        shown = groups[key]
        for p in shown:
            at = f"row {p.row}" if p.row is not None else ("the whole column" if p.column else "the whole file")
            value = "" if p.value is None else f": {_show(p.value)}"
            lines.append(f"  {at}{value}")
        if r.count > len(shown):
            lines.append(f"  ... and {r.count - len(shown):,} more")
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
