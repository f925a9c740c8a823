"""Survey presets: Qualtrics, SurveyMonkey, Typeform and Google Forms -> feedback.

Every survey tool writes one row per response and one column per question; the user says
which question is which with options, each naming a question by its column id (``Q1``,
``Q2_1``) or by its text, exactly or by a part of it that only one question contains
(``--set nps=recommend``)::

    journeykit import qualtrics survey.csv --into shop --set nps=Q1 --set csat="satisfied" \\
        --set comment=Q4 --set touchpoint=tp_delivery

``nps`` (0-10), ``csat`` (1-5), ``ces`` (1-7, 7 = very easy) and ``comment`` name the
questions (at least one); ``customer`` a question or field holding the customer (default
below); ``stage``/``touchpoint``/``channel`` are written on every row (where the survey was
asked). An unknown or ambiguous name is an error listing the survey's questions.

**Answers** may be numbers or the labels the tools export: a leading number is the score
(``10 - Extremely likely``, ``0 (Not at all likely)``, ``4.0``); otherwise the label map
below decides (case and punctuation ignored). An answer neither reads is an error naming
the row; so is a score outside its scale. Blank answers stay blank.

- NPS: ``Not at all likely`` = 0, ``Extremely likely`` = 10;
- CSAT (:data:`CSAT_LABELS`): very/extremely dissatisfied = 1, (somewhat) dissatisfied = 2,
  neither satisfied nor dissatisfied / neutral = 3, (somewhat) satisfied = 4,
  very/extremely satisfied = 5;
- CES (:data:`CES_LABELS`): strongly disagree = 1 ... strongly agree = 7 (agreeing that it
  was easy), very difficult = 1 ... very easy = 7.

**Formats** (``source`` = ``survey`` on every row):

- **qualtrics** (CSV export with three header rows: column ids ``Q1``/``Q2_1``, question
  texts, ``{"ImportId": ...}``): date = ``EndDate`` (else ``RecordedDate``, ``StartDate``),
  written in the zone the ImportId row names (``"timeZone": "America/Denver"``) so the
  loader reads an instant; customer = ``RecipientEmail``, else ``ExternalReference``;
  ``Finished`` false, and preview, test and spam responses (``Status``,
  ``DistributionChannel`` preview) are set aside; ``-99`` (seen, not answered) is blank.
- **surveymonkey** (two header rows: question, then ``Response`` / ``Open-Ended Response``
  or one column per choice): a choice column is the question "``question - choice``";
  date = ``End Date`` (else ``Start Date``) as written (its day/month order depends on the
  account, so the loader decides it); customer = ``Email Address``. A condensed export
  (one header row) is read as such.
- **typeform** (one header row, full question texts; ``#``, ``Submit Date (UTC)`` or
  ``Submitted At``, ``Network ID``): partial responses (``Response Type`` partial, or no
  submit date) are set aside; a ``(UTC)`` date is written with ``+00:00``; customer = a
  hidden field ``customer_id``, ``email`` or ``user_id``.
- **google-forms** (``Timestamp``, ``Email Address``, one column per question): the
  timestamp is written as the sheet's locale wrote it (the loader decides day/month);
  customer = ``Email Address``.

A response answering none of the chosen questions is set aside; e-mail addresses are
lower-cased.

**Numbers that run the other way.** A tool that numbers choices top-down (Qualtrics'
"Use numeric values" export of a scale listed from "Extremely satisfied" down) writes 1
for the best answer. Check a response you know, then ``--set reverse=csat`` (or
``reverse=csat,ces``): a numeric answer n becomes low + high - n; label answers are read by
the maps above and never reversed. Exporting choice text avoids the question.

Example:
    >>> score("10 - Extremely likely", "nps"), score("Very satisfied", "csat"), score("", "ces")
    (10, 5, None)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from journeykit.core.errors import Problem
from journeykit.workspace.imports.base import (
    Export,
    ImportResult,
    Option,
    Preset,
    SetAside,
    find_column,
    read_export,
    zoned_text,
)

FEEDBACK_COLUMNS = ("customer_id", "date", "stage", "touchpoint", "nps", "csat", "ces", "comment", "channel",
                    "source")
SCORES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
NPS_LABELS = {"not at all likely": 0, "extremely likely": 10}
CSAT_LABELS = {
    "very dissatisfied": 1, "extremely dissatisfied": 1, "dissatisfied": 2, "somewhat dissatisfied": 2,
    "neither satisfied nor dissatisfied": 3, "neutral": 3, "satisfied": 4, "somewhat satisfied": 4,
    "very satisfied": 5, "extremely satisfied": 5,
}
CES_LABELS = {
    "strongly disagree": 1, "disagree": 2, "somewhat disagree": 3, "neither agree nor disagree": 4,
    "somewhat agree": 5, "agree": 6, "strongly agree": 7,
    "very difficult": 1, "difficult": 2, "somewhat difficult": 3, "neither easy nor difficult": 4,
    "somewhat easy": 5, "easy": 6, "very easy": 7,
}
LABELS = {"nps": NPS_LABELS, "csat": CSAT_LABELS, "ces": CES_LABELS}
#: the options naming questions; ``customer`` may name any column
QUESTION_OPTIONS = ("nps", "csat", "ces", "comment")
#: the most problems reported per answer column (then one saying how many more)
MAX_ANSWER_PROBLEMS = 5

_LEADING = re.compile(r"^(\d{1,2})(?:\.0+)?(?=$|[\s\-\u2013\u2014:(/,])")
_TRAILING = re.compile(r"[\s\-\u2013\u2014:(]\s*(\d{1,2})\)?$")
_TRUE = {"true", "1", "yes"}


def _label(text: str) -> str:
    return re.sub(r"[^a-z]+", " ", text.lower()).strip()


def _numeric_answer(text: str) -> bool:
    """True when an answer is written as a number (a label's leading number included)."""
    value = str(text).strip()
    return bool(_LEADING.match(value) or _TRAILING.search(value))


def score(text: str, kind: str) -> int | None:
    """An answer as a score of ``kind`` (``nps``, ``csat``, ``ces``): blank -> None; a
    leading (or trailing, ``Extremely likely - 10``) number; else a label of the map. Raises
    ``ValueError`` for an answer that reads neither way (range is checked by the caller)."""
    value = str(text).strip()
    if not value or value == "-99":
        return None
    match = _LEADING.match(value) or _TRAILING.search(value)
    if match is not None:
        return int(match.group(1))
    found = LABELS[kind].get(_label(value))
    if found is None:
        raise ValueError(value)
    return found


@dataclass(frozen=True)
class Question:
    """A column of a survey export: ``column`` in the frame, ``id`` as the tool names it
    (Qualtrics ``Q2_1``; other tools: the header), ``text`` the question as asked."""

    column: str
    id: str
    text: str

    def shown(self) -> str:
        return self.id if self.text in ("", self.id) else f"{self.id} ({self.text})"


@dataclass
class Survey:
    """What a format's reader found: the questions, a date per response, the default
    customer, and why responses are set aside (a reason per row, "" to keep)."""

    export: Export
    questions: list[Question]
    listed: list[Question]
    date: pd.Series
    customer: pd.Series
    skip: pd.Series


def pick_question(questions: Sequence[Question], wanted: str, option: str, file: str,
                  listed: Sequence[Question]) -> tuple[Question | None, Problem | None]:
    """The question ``wanted`` names: its id or text exactly, then without regard to case,
    then the one question whose id or text contains it. Otherwise a problem listing the
    questions (``listed``) or the ones it matches."""
    wanted = wanted.strip()
    steps: list[Callable[[Question], bool]] = [
        lambda q: wanted in (q.id, q.text, q.column),
        lambda q: wanted.lower() in (q.id.lower(), q.text.lower(), q.column.lower()),
        lambda q: bool(wanted) and (wanted.lower() in q.text.lower() or wanted.lower() in q.id.lower()),
    ]
    for step in steps:
        found = [q for q in questions if step(q)]
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            names = "; ".join(q.shown() for q in found)
            return None, Problem(file, f"one question for --set {option}=...: {wanted!r} matches {len(found)} "
                                 f"({names}); name it by its id or more of its text", row=1, column=option,
                                 value=wanted, table="feedback")
    names = "; ".join(q.shown() for q in listed) or "none"
    return None, Problem(file, f"a question of the survey for --set {option}=... (its id or text); the questions "
                         f"are: {names}", row=1, column=option, value=wanted, table="feedback")


def _strip(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip()


def _person(values: pd.Series) -> pd.Series:
    """Customer keys: stripped, e-mail addresses lower-cased."""
    text = _strip(values)
    return text.where(~text.str.contains("@", regex=False), text.str.lower())


def _first_filled(export: Export, *candidates: str) -> pd.Series:
    """Per row, the first non-blank value among the columns found for ``candidates``."""
    out = pd.Series("", index=export.frame.index, dtype=object)
    for candidate in candidates:
        column = find_column(export, candidate)
        if column is not None:
            out = out.where(out != "", _strip(export.frame[column]))
    return out


def _blank_series(export: Export) -> pd.Series:
    return pd.Series("", index=export.frame.index, dtype=object)


QUALTRICS_META = ("StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                  "RecordedDate", "ResponseId", "ResponseID", "RecipientLastName", "RecipientFirstName",
                  "RecipientEmail", "ExternalReference", "ExternalDataReference", "LocationLatitude",
                  "LocationLongitude", "DistributionChannel", "UserLanguage")
_QUALTRICS_SKIP_STATUS = {"survey preview": "a survey preview, not a response", "1": "a survey preview, not a response",
                          "survey test": "a survey test, not a response", "2": "a survey test, not a response",
                          "spam": "marked as spam by Qualtrics", "8": "marked as spam by Qualtrics"}


def _qualtrics(export: Export, result: ImportResult) -> Survey | None:
    texts = export.header_extra[0] if export.header_extra else []
    imports = export.header_extra[1] if len(export.header_extra) > 1 else []
    if not imports or not any(c.strip().startswith("{") for c in imports):
        result.problems.append(Problem(export.name, "three header rows as Qualtrics writes them (column ids, "
                                       "question texts, {\"ImportId\": ...}): export with 'Use numeric values' or "
                                       "'Use choice text', not a one-header-row file", row=3, table="feedback"))
        return None
    questions, listed, zones = [], [], {}
    for position, column in enumerate(export.frame.columns):
        text = texts[position].strip() if position < len(texts) else ""
        question = Question(column, column, text)
        questions.append(question)
        try:
            meta = json.loads(imports[position]) if position < len(imports) and imports[position].strip() else {}
        except json.JSONDecodeError:
            meta = {}
        if isinstance(meta, dict) and meta.get("timeZone"):
            zones[column] = str(meta["timeZone"])
        if column not in QUALTRICS_META and not (isinstance(meta, dict) and not
                                                 str(meta.get("ImportId", "QID")).startswith("QID")):
            listed.append(question)
    date_column = find_column(export, "EndDate") or find_column(export, "RecordedDate") or \
        find_column(export, "StartDate")
    if date_column is None:
        result.problems.append(Problem(export.name, "a column EndDate, RecordedDate or StartDate as Qualtrics writes "
                                       f"(columns found: {', '.join(export.frame.columns)})", row=1, table="feedback"))
        return None
    date = _strip(export.frame[date_column])
    zone = zones.get(date_column)
    if zone:
        try:
            date, unclear = zoned_text(date, zone)
        except KeyError:
            result.problems.append(Problem(export.name, "a time zone name such as America/Denver", row=3,
                                           column=date_column, value=zone, table="feedback"))
            return None
        result.notes.append(f"{export.name}: {date_column} is in {zone} (its ImportId row says so); written with "
                            "its offset")
        if unclear:
            result.notes.append(f"{unclear:,} {date_column} value(s) fall in the hour a DST change skips or "
                                f"repeats in {zone}: left as written")
    skip = _blank_series(export)
    finished = find_column(export, "Finished")
    if finished:
        done = _strip(export.frame[finished]).str.lower()
        progress = find_column(export, "Progress")
        shown = (" (Progress " + _strip(export.frame[progress]) + "%)") if progress else ""
        skip = skip.where(done.isin(_TRUE) | (done == ""), "incomplete response (Finished = False)" + shown)
    for column in (find_column(export, "Status"), find_column(export, "DistributionChannel")):
        if column:
            values = _strip(export.frame[column]).str.lower()
            reason = values.map(lambda v: _QUALTRICS_SKIP_STATUS.get(v, "a survey preview, not a response"
                                                                     if v == "preview" else ""))
            skip = skip.where(skip != "", reason)
    customer = _person(_first_filled(export, "RecipientEmail", "ExternalReference", "ExternalDataReference"))
    return Survey(export, questions, listed, date, customer, skip)


SURVEYMONKEY_META = ("Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
                     "First Name", "Last Name", "Custom Data 1")
_PLAIN_ANSWER = {"", "response", "open-ended response", "open ended response"}


def _surveymonkey(export: Export, result: ImportResult) -> Survey | None:
    subs = export.header_extra[0] if export.header_extra else []
    respondent = find_column(export, "Respondent ID")
    if subs and respondent is not None:
        position = list(export.frame.columns).index(respondent)
        if subs[position].strip():  # the second row is a response: a condensed, one-header-row export
            export = read_export(export.path, header_rows=1)
            subs = []
            result.notes.append(f"{export.name} has one header row (a condensed export): read as such")
    questions, listed = [], []
    current = ""
    for position, column in enumerate(export.frame.columns):
        sub = subs[position].strip() if position < len(subs) else ""
        if not column.startswith("(unnamed)"):
            current = column
        text = current if sub.lower() in _PLAIN_ANSWER else f"{current} - {sub}"
        question = Question(column, text, text)
        questions.append(question)
        if current not in SURVEYMONKEY_META:
            listed.append(question)
    date = _first_filled(export, "End Date", "Start Date", "EndDate", "StartDate")
    customer = _person(_first_filled(export, "Email Address", "Email"))
    return Survey(export, questions, listed, date, customer, _blank_series(export))


TYPEFORM_META = ("#", "Response Type", "Start Date (UTC)", "Stage Date (UTC)", "Submit Date (UTC)", "Submitted At",
                 "Network ID", "Tags", "Ending")


def _typeform(export: Export, result: ImportResult) -> Survey | None:
    questions = [Question(c, c, c) for c in export.frame.columns]
    meta = {find_column(export, m) for m in TYPEFORM_META}
    listed = [q for q in questions if q.column not in meta]
    date_column = find_column(export, "Submit Date (UTC)", "Submitted At", "Submit Date")
    if date_column is None:
        result.problems.append(Problem(export.name, "a column 'Submit Date (UTC)' or 'Submitted At' as Typeform "
                                       f"writes (columns found: {', '.join(export.frame.columns)})", row=1,
                                       table="feedback"))
        return None
    date = _strip(export.frame[date_column])
    if "utc" in date_column.lower():
        date, _ = zoned_text(date, "UTC")
    skip = _blank_series(export).where(date != "", "partial response (not submitted)")
    kind = find_column(export, "Response Type")
    if kind:
        partial = _strip(export.frame[kind]).str.lower() == "partial"
        skip = skip.where(~partial, "partial response (not submitted)")
    customer = _person(_first_filled(export, "customer_id", "email", "user_id"))
    return Survey(export, questions, listed, date, customer, skip)


GOOGLE_META = ("Timestamp", "Email Address", "Score")


def _google_forms(export: Export, result: ImportResult) -> Survey | None:
    questions = [Question(c, c, c) for c in export.frame.columns]
    meta = {find_column(export, m) for m in GOOGLE_META}
    listed = [q for q in questions if q.column not in meta]
    stamp = find_column(export, "Timestamp", "Marca temporal", "Horodateur", "Zeitstempel")
    if stamp is None:
        result.problems.append(Problem(export.name, "a column 'Timestamp' as Google Forms writes (columns found: "
                                       f"{', '.join(export.frame.columns)})", row=1, table="feedback"))
        return None
    customer = _person(_first_filled(export, "Email Address", "Email"))
    return Survey(export, questions, listed, _strip(export.frame[stamp]), customer, _blank_series(export))


Reader = Callable[[Export, ImportResult], "Survey | None"]


def _answers(survey: Survey, question: Question, kind: str, result: ImportResult,
             reverse: bool = False) -> pd.Series:
    """The scores of one question as text; with ``reverse`` a numeric answer ``n`` is
    ``low + high - n`` (labels are read by the map and never reversed)."""
    export = survey.export
    out: list[str] = []
    bad = 0
    low, high = SCORES[kind]
    labels = ", ".join(f"{k} = {v}" for k, v in LABELS[kind].items())
    for position, text in enumerate(export.frame[question.column]):
        try:
            value = score(text, kind)
        except ValueError:
            value, expected = None, f"a {kind} answer: a number {low}-{high} or a label ({labels})"
        else:
            expected = f"a {kind} score {low}-{high}" if value is not None and not low <= value <= high else ""
            if reverse and value is not None and not expected and _numeric_answer(text):
                value = low + high - value
        if expected and survey.skip.iloc[position] == "":
            bad += 1
            if bad <= MAX_ANSWER_PROBLEMS:
                result.problems.append(Problem(export.name, expected, row=export.row(position),
                                               column=question.column, value=text, table="feedback"))
        out.append("" if value is None or expected else str(value))
    if bad > MAX_ANSWER_PROBLEMS:
        result.problems.append(Problem(export.name, f"{kind} answers as above: {bad - MAX_ANSWER_PROBLEMS:,} more "
                                       "rows do not read", column=question.column, table="feedback"))
    return pd.Series(out, index=export.frame.index, dtype=object)


def _feedback(survey: Survey, options: Mapping[str, str], result: ImportResult) -> pd.DataFrame | None:
    export = survey.export
    picked: dict[str, Question] = {}
    for name in (*QUESTION_OPTIONS, "customer"):
        if name not in options:
            continue
        question, problem = pick_question(survey.questions, options[name], name, export.name, survey.listed)
        if problem is not None:
            result.problems.append(problem)
        elif question is not None:
            picked[name] = question
    if not any(name in options for name in QUESTION_OPTIONS):
        names = "; ".join(q.shown() for q in survey.listed) or "none"
        result.problems.append(Problem(export.name, "at least one of --set nps=... csat=... ces=... comment=... "
                                       f"naming a question; the questions are: {names}", row=1, table="feedback"))
    reversed_scores = {k.strip() for k in options.get("reverse", "").split(",") if k.strip()}
    for unknown in sorted(reversed_scores - set(SCORES)):
        result.problems.append(Problem("(options)", "reverse=nps, csat or ces (comma-separated)", column="reverse",
                                       value=unknown, table="feedback"))
    if not result.ok:
        return None
    index = export.frame.index
    columns = {name: pd.Series("", index=index, dtype=object) for name in FEEDBACK_COLUMNS}
    for kind in SCORES:
        if kind in picked:
            columns[kind] = _answers(survey, picked[kind], kind, result, kind in reversed_scores)
    if "comment" in picked:
        columns["comment"] = _strip(export.frame[picked["comment"].column]).str.replace("\r\n", "\n")
    columns["customer_id"] = (_person(export.frame[picked["customer"].column]) if "customer" in picked
                              else survey.customer)
    columns["date"] = survey.date
    for name in ("stage", "touchpoint", "channel"):
        columns[name] = pd.Series(options.get(name, "").strip(), index=index, dtype=object)
    columns["source"] = pd.Series("survey", index=index, dtype=object)
    frame = pd.DataFrame(columns)
    answered = (frame[["nps", "csat", "ces", "comment"]] != "").any(axis=1)
    skip = survey.skip.where(survey.skip != "", answered.map(lambda a: "" if a else "no answer to the chosen "
                                                                                     "questions"))
    skip = skip.where((skip != "") | (frame["date"] != ""), "no date")
    for reason in dict.fromkeys(skip[skip != ""]):
        result.set_aside.append(SetAside(export.name, export.rows(skip == reason), reason, "feedback"))
    anonymous = int(((frame["customer_id"] == "") & (skip == "")).sum())
    if anonymous:
        result.notes.append(f"{anonymous:,} response(s) in {export.name} name no customer (kept, customer_id blank)")
    return frame[skip == ""]


def _convert(name: str, reader: Reader) -> Callable[[Sequence[Export], Mapping[str, str]], ImportResult]:
    def convert(exports: Sequence[Export], options: Mapping[str, str]) -> ImportResult:
        result = ImportResult(name, [e.name for e in exports])
        frames = []
        for export in exports:
            result.rows_in[export.name] = len(export.frame)
            survey = reader(export, result)
            if survey is None:
                continue
            if survey.export is not export:  # read again (a condensed SurveyMonkey export)
                result.rows_in[export.name] = len(survey.export.frame)
            frame = _feedback(survey, options, result)
            if frame is not None:
                frames.append(frame)
        if frames and result.ok:
            result.tables["feedback"] = pd.concat(frames, ignore_index=True)
        return result

    convert.__doc__ = f"{name} survey exports -> feedback (see the module docstring)."
    return convert


OPTIONS = (
    Option("nps", "the NPS question (0-10): its id or text, or a part only it contains"),
    Option("csat", "the satisfaction question (1-5)"),
    Option("ces", "the effort question (1-7, 7 = very easy)"),
    Option("comment", "the open question whose answer is the comment"),
    Option("customer", "a question or field holding the customer (default: the format's e-mail/id field)"),
    Option("reverse", "scores whose numbers run the other way, e.g. reverse=csat when 1 = most satisfied"),
    Option("stage", "the stage where the survey was asked, written on every row"),
    Option("touchpoint", "the touchpoint where the survey was asked, written on every row"),
    Option("channel", "the channel the survey was sent through, written on every row"),
)

PRESETS: tuple[Preset, ...] = (
    Preset("qualtrics", "surveys", "a Qualtrics CSV export (three header rows)", ("feedback",),
           _convert("qualtrics", _qualtrics), options=OPTIONS, header_rows=3),
    Preset("surveymonkey", "surveys", "a SurveyMonkey 'All responses' CSV export (two header rows)", ("feedback",),
           _convert("surveymonkey", _surveymonkey), options=OPTIONS, header_rows=2),
    Preset("typeform", "surveys", "a Typeform results CSV export", ("feedback",), _convert("typeform", _typeform),
           options=OPTIONS),
    Preset("google-forms", "surveys", "a Google Forms responses CSV (Responses > Download)", ("feedback",),
           _convert("google-forms", _google_forms), options=OPTIONS),
)
