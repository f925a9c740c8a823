"""The tables of the report, by its presentation rules.

Every table a run leaves in ``tables/*.csv`` is shown (or linked) by one rule set:
names instead of ids (touchpoints, personas, stages), labelled columns, numbers
formatted (percentages, counts with thousands separators, money, intervals as
``64.8 % (62.7–66.7)``), booleans as words, lists as bullets, at most
:data:`~journeykit.viz.report.views.MAX_TABLE_ROWS` rows with the full CSV linked. The
tables the report knows have a :class:`Spec` in :data:`SPECS` (their section, columns
and formats); any other table gets the same rules column by column
(:func:`generic_view`).

Example:
    >>> names = Names({"tp_a": "Web shop"})
    >>> generic_view(pd.DataFrame({"touchpoint": ["tp_a"], "online": ["True"]}), "x", names).rows
    [['Web shop', 'yes']]
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from journeykit.core.cells import split_list
from journeykit.core.durations import duration_text
from journeykit.viz.report.views import (
    MAX_TABLE_ROWS,
    Cell,
    TableView,
    display_text,
    format_count,
    format_interval,
    format_money,
    to_float,
)

__all__ = ["EVIDENCE_WORDS", "NEEDS", "SPECS", "evidence_text", "Names", "Spec", "generic_view", "humanise", "present", "tidy_cell", "words"]

Row = Mapping[str, str]
Getter = Callable[[Row, "Names"], Cell]


@dataclass
class Names:
    """Display names of the ids a run's tables use (touchpoints, personas, stages) and
    the workspace's currency."""

    names: dict[str, str] = field(default_factory=dict)
    currency: str = ""

    def of(self, value: object) -> str:
        text = display_text(value)
        return self.names.get(text, text)

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame], currency: str = "") -> Names:
        """Names from ``touchpoints`` (id, name), ``persona_cards`` (id, name) and the
        stage tables (stage, stage_name / name)."""
        found: dict[str, str] = {}
        for table, key, name in (("touchpoints", "id", "name"), ("persona_cards", "id", "name"),
                                 ("emotion_curve", "stage", "stage_name"), ("stage_funnel", "stage", "name"),
                                 ("pain_points", "touchpoint", "touchpoint_name"),
                                 ("segments", "closest_persona", "closest_persona_name")):
            frame = tables.get(table)
            if frame is None or key not in frame or name not in frame:
                continue
            for k, v in zip(frame[key], frame[name], strict=True):
                if k and v and k not in found:
                    found[str(k)] = str(v)
        return cls(found, currency)


# -- cells --------------------------------------------------------------------------------

_BLANKS = {"", "<NA>", "nan", "NaN", "None", "NaT", "none"}
_INT = re.compile(r"^-?\d+(\.0+)?$")
_FLOAT = re.compile(r"^-?\d+\.\d+$")
_DURATION = re.compile(r"^(\d+) days? (\d{2}):(\d{2}):\d{2}(\.\d+)?$")


def _literal(text: str) -> list[str] | None:
    """A Python list or tuple written into a CSV cell (``['a', 'b']``) as its items."""
    if not (text[:1] in "[(" and text[-1:] in "])"):
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(value, (list, tuple)):
        return None
    return [str(v) for v in value]


def _squash(text: str, width: int = 220) -> str:
    """One line of text (CR, LF and runs of spaces read as one space), cut at ``width``."""
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


_SNAKE = re.compile(r"(?<![\w/.])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w/.])")


def words(text: str) -> str:
    """Event names and other snake_case keys inside a text read as words
    (``checkout_payment → order_completed`` → ``checkout payment → order completed``);
    file names and paths are left alone.

    >>> words("step checkout_payment → order_completed (see dropouts.csv)")
    'step checkout payment → order completed (see dropouts.csv)'
    """
    return _SNAKE.sub(lambda m: m[1].replace("_", " "), text)


def _duration(text: str) -> str:
    """``2 days 04:11:03`` → ``2 days 4 h``; ``0 days 00:35:10`` → ``35 min``."""
    if not _DURATION.match(text):
        return text
    return duration_text(pd.Timedelta(text))


def tidy_cell(value: object, names: Names, column: str = "") -> Cell:
    """One cell by the rules: blank for missing values, yes/no for booleans, bullets for
    lists, ``a → b`` for paths, names for ids, numbers with separators and at most two
    decimals (shares as percentages when the column says so), durations in words.

    >>> tidy_cell("('order_placed', 'paid')", Names(), "events"), tidy_cell("0.4567", Names(), "share")
    ('order placed → paid', '45.7 %')
    """
    text = display_text(value)
    if text.strip() in _BLANKS:
        return ""
    if text in ("True", "False"):
        return "yes" if text == "True" else "no"
    items = _literal(text)
    if items is not None:
        if text.startswith("("):
            return " → ".join(words(names.of(i)) for i in items)
        return [_squash(display_text(i)) for i in items[:3]]
    lowered = column.lower()
    if _FLOAT.match(text) or _INT.match(text):
        number = float(text)
        if any(w in lowered for w in ("share", "rate", "probability", "conversion")) and 0 <= number <= 1:
            return f"{number * 100:.1f} %"
        if _INT.match(text):
            return format_count(number) if abs(number) >= 1000 else str(int(number))
        return f"{number:,.2f}" if abs(number) < 1000 else f"{number:,.0f}"
    if _DURATION.match(text):
        return _duration(text)
    if text in names.names:
        return names.names[text]
    if ";" in text and all(part in names.names for part in split_list(text)):
        return [names.names[part] for part in split_list(text)]
    return _squash(text, 400)


_HEADER_WORDS = {"n": "number of", "ci": "interval", "tp": "touchpoint", "id": "id", "csat": "CSAT",
                 "nps": "NPS", "ces": "CES", "clv": "CLV", "kpi": "KPI", "aov": "average order value"}


def humanise(column: str) -> str:
    """A column header in words: ``n_customers`` → ``Customers (n)``, ``share_revenue`` →
    ``Share of revenue``, ``sentiment_low`` → ``Sentiment (low end of 95 % interval)``.

    >>> humanise("n_customers"), humanise("share_revenue"), humanise("closest_persona_name")
    ('Customers (n)', 'Share of revenue', 'Closest persona')
    """
    words = [w for w in re.split(r"[_\s]+", str(column).strip()) if w]
    if not words:
        return ""
    if words[0] == "n" and len(words) > 1:
        return humanise("_".join(words[1:])) + " (n)"
    if words[0] == "share" and len(words) > 1:
        return "Share of " + " ".join(_HEADER_WORDS.get(w, w) for w in words[1:])
    if words[-1] in ("low", "high") and len(words) > 1:
        return humanise("_".join(words[:-1])) + f" ({words[-1]} end of 95 % interval)"
    if words[-1] == "name" and len(words) > 1:
        words = words[:-1]
    text = " ".join(_HEADER_WORDS.get(w, w) for w in words)
    return text[:1].upper() + text[1:]


def generic_view(frame: pd.DataFrame, name: str, names: Names, *, title: str | None = None,
                 max_rows: int = MAX_TABLE_ROWS) -> TableView:
    """Any table by the rules, column by column: an ``id`` column is left out when the
    table has a name or title; headers in words; cells by :func:`tidy_cell`."""
    columns = list(frame.columns)
    if "id" in columns and ({"name", "title"} & set(columns)):
        columns.remove("id")
    rows = [[tidy_cell(record[c], names, c) for c in columns]
            for record in frame.head(max_rows).to_dict("records")]
    return TableView(name=name, title=title or humanise(name), columns=[humanise(c) for c in columns],
                     rows=rows, total_rows=len(frame), source=f"tables/{name}.csv")


# -- getters for the known tables ---------------------------------------------------------------


def _words(column: str, width: int = 400) -> Getter:
    return lambda r, n: words(_squash(display_text(r.get(column, "")), width))


def _text(column: str, width: int = 220) -> Getter:
    return lambda r, n: _squash(display_text(r.get(column, "")), width) if display_text(r.get(column, "")) not in _BLANKS else ""


def _name(column: str) -> Getter:
    return lambda r, n: n.of(r.get(column, "")) if display_text(r.get(column, "")) not in _BLANKS else ""


def _pct(column: str) -> Getter:
    def get(r: Row, n: Names) -> Cell:
        value = to_float(r.get(column))
        return "–" if value is None else f"{value * 100:.1f} %"
    return get


def _interval(value: str, low: str, high: str, unit: str = "", n: str | None = None) -> Getter:
    def get(r: Row, names: Names) -> Cell:
        shown = format_interval(r.get(value), r.get(low), r.get(high), unit or display_text(r.get("unit", "")))
        if n is not None and shown != "–":
            shown += f", n {format_count(r.get(n))}"
        return shown
    return get


def _count(column: str) -> Getter:
    return lambda r, n: format_count(r.get(column))


def _money(column: str) -> Getter:
    return lambda r, n: format_money(r.get(column), n.currency)


def _fixed(column: str, digits: int = 2) -> Getter:
    def get(r: Row, n: Names) -> Cell:
        value = to_float(r.get(column))
        return "–" if value is None else f"{value:,.{digits}f}"
    return get


def _cell(column: str) -> Getter:
    return lambda r, n: tidy_cell(r.get(column, ""), n, column)


def _quotes(column: str, items: int = 2) -> Getter:
    def get(r: Row, n: Names) -> Cell:
        text = display_text(r.get(column, ""))
        found = _literal(text)
        if found is None:  # an export joins lists with " | "
            found = [part for part in text.split(" | ") if part.strip() and part.strip() not in _BLANKS]
        return [_squash(display_text(q), 160) for q in found[:items]]
    return get


def _nps_with_n(r: Row, n: Names) -> Cell:
    answers = to_float(r.get("nps_n")) or 0
    value = to_float(r.get("nps"))
    return "no answers" if not answers or value is None else f"{value:.1f} (n {answers:,.0f})"


def _sentiment(r: Row, n: Names) -> Cell:
    value, low, high = (to_float(r.get(c)) for c in ("sentiment", "sentiment_low", "sentiment_high"))
    if value is None:
        return "no texts"
    interval = f" ({low:+.2f} to {high:+.2f})" if low is not None and high is not None else ""
    return f"{value:+.2f}{interval}, n {format_count(r.get('n_texts'))}"


#: what each evidence signal of a scored pain point means, for readers
EVIDENCE_WORDS = {"sentiment": "negative comments", "csat": "low CSAT answers", "tickets": "support tickets",
                  "drop-off": "customers dropping off", "workshop": "the workshop's estimate"}


def evidence_text(signals: object) -> str:
    """``sentiment; csat; tickets`` in words.

    >>> evidence_text("sentiment; drop-off")
    'negative comments, customers dropping off'
    """
    parts = [s.strip() for s in display_text(signals).split(";") if s.strip()]
    return ", ".join(EVIDENCE_WORDS.get(s, s) for s in parts) or EVIDENCE_WORDS["workshop"]


def _personas(r: Row, n: Names) -> Cell:
    ids = split_list(display_text(r.get("personas", "")))
    return [n.of(i) for i in ids] if ids else "all personas"


@dataclass(frozen=True)
class Spec:
    """How the report shows one known table: its section, title, columns (header,
    getter), an optional preparation (filter, sort, pivot), the number of rows, and the
    source columns :data:`NEEDS` names (a table without them is shown by :func:`generic_view`)."""

    section: str
    title: str
    columns: tuple[tuple[str, Getter], ...]
    prepare: Callable[[pd.DataFrame, Names], pd.DataFrame] | None = None
    max_rows: int = MAX_TABLE_ROWS
    note: str = ""


def _by_priority(frame: pd.DataFrame, names: Names) -> pd.DataFrame:
    if "priority" not in frame:
        return frame
    order = pd.to_numeric(frame["priority"], errors="coerce")
    return frame.assign(_p=order).sort_values("_p", ascending=False, kind="stable").drop(columns="_p")


def _pivot_funnel(frame: pd.DataFrame, names: Names) -> pd.DataFrame:
    """A long stage funnel by group (channel, persona) as one row per group: the
    customers at each stage, with the share of the group's first stage."""
    group = next((c for c in ("channel", "persona", "persona_id") if c in frame), None)
    if group is None or "customers" not in frame:
        return frame
    stages = list(dict.fromkeys(frame["name"] if "name" in frame else frame["stage"]))
    rows = []
    for key, part in frame.groupby(group, sort=False):
        row = {"group": names.of(key)}
        labels = part["name"] if "name" in part else part["stage"]
        for label, customers, share in zip(labels, part["customers"], part.get(
                "conversion_from_start", pd.Series([""] * len(part), index=part.index)), strict=True):
            count = format_count(customers)
            value = to_float(share)
            row[str(label)] = count if value is None or value >= 1 else f"{count} ({value * 100:.1f} %)"
        rows.append(row)
    return pd.DataFrame(rows, columns=["group", *map(str, stages)]).fillna("")


def _pivot_kpis(frame: pd.DataFrame, names: Names) -> pd.DataFrame:
    """A long KPI table (``kpi_table``) as one row per group with NPS, CSAT and CES
    (value, interval, n)."""
    group = next((c for c in frame.columns if c not in {"kpi", "value", "n", "ci_low", "ci_high", "small_sample"}),
                 None)
    if group is None:
        return frame
    units = {"nps": "points", "csat": "share", "ces": ""}
    rows: dict[str, dict[str, str]] = {}
    for record in frame.to_dict("records"):
        key = display_text(record[group]) or "(not linked)"
        row = rows.setdefault(key, {"group": names.of(key) if key in names.names else key})
        kpi = display_text(record["kpi"])
        shown = format_interval(record["value"], record["ci_low"], record["ci_high"], units.get(kpi, ""))
        row[kpi.upper()] = "no answers" if shown == "–" else f"{shown}, n {format_count(record['n'])}"
    kpis = [k.upper() for k in dict.fromkeys(frame["kpi"].astype(str))]
    return pd.DataFrame(list(rows.values()), columns=["group", *kpis]).fillna("")


def _columns_as_is(frame: pd.DataFrame, header: str) -> tuple[tuple[str, Getter], ...]:
    """Columns of a prepared (pivoted) frame: the group column under ``header``."""
    return tuple((header if c == "group" else c, _cell(c) if c == "group" else _text(c)) for c in frame.columns)


_FUNNEL = (("Stage", _name("name")), ("Customers reaching it", _count("customers")),
           ("From the first stage", _pct("conversion_from_start")),
           ("From the previous stage", _pct("conversion_from_previous")),
           ("Dropped here", _count("dropped")), ("Median time from the previous stage", _cell("median_time_from_previous")))

#: the known tables; section ids are those of journeykit.viz.report.build.SECTIONS
SPECS: dict[str, Spec] = {
    "persona_cards": Spec("customers", "Personas in numbers", (
        ("Persona", _text("name")), ("Customers", _count("n_customers")),
        ("Share of customers", _pct("share_customers")), ("Share of revenue", _pct("share_revenue")),
        ("Lifetime value per customer", _money("clv")), ("NPS", _nps_with_n),
        ("Top pain point", _text("top_pain_point")))),
    "segments": Spec("customers", "Customer groups the data suggests", (
        ("Group", _text("segment")), ("Customers", _count("n_customers")),
        ("Share of customers", _pct("share_customers")), ("Description", _text("description")),
        ("Days since last purchase", _fixed("recency_days", 0)),
        ("Repeat purchases", _fixed("frequency", 1)), ("Spend", _money("monetary")),
        ("Channels", _text("channel_mix")), ("Closest persona", _text("evidence")))),
    "stage_funnel": Spec("dropoff", "Customers reaching each stage", _FUNNEL),
    "stage_funnel_by_channel": Spec("dropoff", "Customers reaching each stage, by channel of their first visit",
                                    (), prepare=_pivot_funnel,
                                    note="customers (share of the channel's first stage)"),
    "stage_funnel_by_persona": Spec("dropoff", "Customers reaching each stage, by persona", (),
                                    prepare=_pivot_funnel, note="customers (share of the persona's first stage)"),
    "emotion_curve": Spec("hurts", "How customers feel at each stage", (
        ("Stage", _text("stage_name")),
        ("Sentiment of comments and tickets (−1…+1)", _sentiment),
        ("CSAT (share of 4–5 answers)", lambda r, n: (
            format_interval(r.get("csat"), r.get("csat_low"), r.get("csat_high"), "share")
            + f", n {format_count(r.get('n_csat'))}") if to_float(r.get("csat")) is not None else "no answers"),
        ("Workshop emotion (−2…+2)", _fixed("workshop_emotion", 1)))),
    "action_plan": Spec("hurts", "Action plan", (
        ("Rank", _text("priority")), ("Pain point", _text("pain_point")), ("Where", _text("touchpoint")),
        ("Stage", _text("stage")), ("Owner", _text("owner_team")), ("Quadrant", _text("quadrant")),
        ("First step", _words("first_step")), ("KPI to watch", _words("kpi_to_watch")),
        ("Status", _text("status")))),
    "pain_points": Spec("hurts", "The evidence behind each pain point", (
        ("Pain point", _text("title")), ("Where", _text("touchpoint_name")),
        ("Priority (0–1)", _fixed("priority")), ("Evidence", lambda r, n: evidence_text(r.get("signals"))),
        ("Feedback and tickets (n)", _count("n_evidence")), ("What customers say", _quotes("quotes"))),
        prepare=_by_priority, max_rows=10),
    "kpis_by_stage": Spec("improving", "Satisfaction by stage (each answer's stage as the journey map links it)",
                          (), prepare=_pivot_kpis),
    "kpis_by_persona": Spec("customers", "Satisfaction by persona", (), prepare=_pivot_kpis),
    "data_present": Spec("appendix", "Tables in the workspace", (
        ("Table", _text("table")), ("Required", _cell("required")), ("Source", _text("source")),
        ("Rows used", _count("rows")), ("Rows set aside", _count("rejected")))),
    "touchpoints": Spec("appendix", "Touchpoints", (
        ("Touchpoint", _text("name")), ("Stage", _name("stage")), ("Channel", _text("channel")),
        ("Owner", lambda r, n: _text("owner")(r, n) or "no owner"), ("Online", _cell("online")),
        ("Personas", _personas), ("Description", _text("description")))),
    "touchpoints_without_owner": Spec("appendix", "Touchpoints without an owner", (
        ("Touchpoint", _text("name")), ("Stage", _name("stage")), ("Channel", _text("channel")))),
    "top_paths": Spec("appendix", "The most common paths through a visit", (
        ("Path", _cell("events")), ("Visits", _count("sessions")), ("Customers", _count("customers")),
        ("Share of visits", _pct("share")))),
    "transitions": Spec("appendix", "What customers do next", (
        ("After", _words("source")), ("Next", _words("target")), ("Times", _count("count")),
        ("Share of next steps", _pct("probability"))),
        prepare=lambda f, n: f.assign(_c=pd.to_numeric(f["count"], errors="coerce")).sort_values(
            "_c", ascending=False, kind="stable").drop(columns="_c") if "count" in f else f),
}

#: the column a known table must have for its Spec; without it the table is shown generically
NEEDS: dict[str, str] = {
    "persona_cards": "name", "segments": "segment", "stage_funnel": "customers", "emotion_curve": "stage_name",
    "action_plan": "pain_point", "pain_points": "title", "data_present": "table", "touchpoints": "name",
    "touchpoints_without_owner": "name", "top_paths": "events", "transitions": "target",
    "stage_funnel_by_channel": "customers", "stage_funnel_by_persona": "customers", "kpis_by_stage": "kpi",
    "kpis_by_persona": "kpi",
}

#: shown elsewhere (the summary, a figure, the definitions) or only linked: never a second table
LINKED_ONLY = {"top_priorities", "scorecard", "what_changed", "kpi_history", "retention",
               "top_pain_points_per_stage", "workspace_problems", "semantics", "action_plan_top"}

_GROUP_HEADERS = {"stage_funnel_by_channel": "Channel", "stage_funnel_by_persona": "Persona",
                  "kpis_by_stage": "Stage", "kpis_by_persona": "Persona"}


def present(frame: pd.DataFrame, name: str, names: Names) -> tuple[str, TableView]:
    """The section and view of table ``name``: by its :class:`Spec`, else by
    :func:`generic_view` in the appendix."""
    spec = SPECS.get(name)
    if spec is None:
        return "appendix", generic_view(frame, name, names)
    if NEEDS.get(name, "") not in frame.columns and name in NEEDS:
        return spec.section, generic_view(frame, name, names, title=spec.title, max_rows=spec.max_rows)
    shown = spec.prepare(frame, names) if spec.prepare is not None else frame
    columns = spec.columns or _columns_as_is(shown, _GROUP_HEADERS.get(name, "Group"))
    missing = not spec.columns and shown is frame  # a pivot that did not apply: show it plainly
    if missing:
        return spec.section, generic_view(frame, name, names, title=spec.title, max_rows=spec.max_rows)
    rows = [[getter(record, names) for _, getter in columns]
            for record in shown.head(spec.max_rows).astype(object).to_dict("records")]
    view = TableView(name=name, title=spec.title, columns=[header for header, _ in columns], rows=rows,
                     total_rows=len(shown), source=f"tables/{name}.csv", note=spec.note)
    return spec.section, view
