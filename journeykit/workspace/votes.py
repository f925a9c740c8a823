"""Participants' votes in a workshop: each person's scores, merged with the median.

Every participant scores the pain points (severity, frequency, effort, 1-5) and the
touchpoints (emotion, -2..+2) on their own: in the workshop app (``journeykit workshop
serve``) or in their own copy of the workspace. One file per participant holds their
votes, ``votes/<name>.csv`` in the workspace, with the columns

    voter, item, severity, frequency, effort, emotion

``item`` is a pain point id (severity, frequency, effort) or a touchpoint id (emotion);
a blank cell is "no opinion". :func:`read_vote_file` also reads a participant's copy of
``painpoints.csv`` / ``touchpoints.csv`` (``id`` instead of ``item``; the voter is the
file name) or of ``workspace.xlsx`` (its painpoints and touchpoints sheets).

:func:`merge_votes` takes, per item and field, the median of the votes (half-way
values round up: 2 and 3 give 3) and the spread (highest minus lowest vote): the
disagreement the report shows beside each pain point. The names stay in the workspace's
``votes/`` folder; :func:`vote_summary` (what the report reads) holds counts and
spreads only.

Example:
    >>> votes = pd.DataFrame({"voter": ["ana", "ben", "cy"], "item": ["pp_1"] * 3,
    ...                       "severity": [2, 4, 5]})
    >>> merged = merge_votes(votes)
    >>> [str(merged.at[0, c]) for c in ("item", "votes", "severity", "spread")]
    ['pp_1', '3', '4', '3']
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
from filelock import FileLock

from journeykit.core.cells import is_blank
from journeykit.core.errors import JourneykitError, Problem
from journeykit.core.safety import atomic_write_bytes

__all__ = ["VOTE_COLUMNS", "VOTES_DIR", "SCALES", "merge_votes", "read_vote_file", "read_votes",
           "vote_summary", "voter_slug", "write_votes"]

#: the workspace folder holding one CSV file of votes per participant
VOTES_DIR = "votes"
#: the fields a participant scores and their scale (lowest, highest)
SCALES: dict[str, tuple[int, int]] = {"severity": (1, 5), "frequency": (1, 5), "effort": (1, 5),
                                      "emotion": (-2, 2)}
#: the columns of a votes file
VOTE_COLUMNS = ["voter", "item", *SCALES]
#: the fields of a pain point (the others: emotion, of a touchpoint)
PAINPOINT_FIELDS = ("severity", "frequency", "effort")


def voter_slug(name: str) -> str:
    """A participant's name as a file name: lower case ASCII letters, digits and ``-``.

    >>> voter_slug("  Ana María O'Neil ")
    'ana-maria-o-neil'
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if not slug:
        raise JourneykitError(f"a voter's name needs at least one letter or digit, got {name!r}")
    return slug[:60]


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in VOTE_COLUMNS})
    for field in SCALES:
        frame[field] = frame[field].astype("Int64")
    return frame


def _typed_votes(raw: pd.DataFrame, source: str, voter: str, problems: list[Problem]) -> pd.DataFrame:
    """``raw`` (votes, or a painpoints/touchpoints copy) as VOTE_COLUMNS, each bad score
    reported (file, spreadsheet row, column, value, what was expected) and left blank."""
    columns = {str(c).strip().lower(): c for c in raw.columns}
    key = "item" if "item" in columns else "id" if "id" in columns else None
    if key is None:
        problems.append(Problem(source, "a column 'item' (a votes file) or 'id' (a copy of "
                                        "painpoints.csv or touchpoints.csv)"))
        return _empty()
    out = pd.DataFrame({"item": raw[columns[key]].map(lambda v: None if _blank(v) else str(v).strip())})
    if "voter" in columns:
        out["voter"] = [voter if _blank(v) else str(v).strip() for v in raw[columns["voter"]]]
    else:
        out["voter"] = voter
    for field, (low, high) in SCALES.items():
        values: list[object] = []
        for row, value in enumerate(raw[columns[field]] if field in columns else [None] * len(raw), start=2):
            number = _score(value)
            if number is None and not _blank(value) or number is not None and not low <= number <= high:
                problems.append(Problem(source, f"a whole number {low} to {high}, or blank", row=row,
                                        column=field, value=value, severity="warning"))
                number = None
            values.append(number)
        out[field] = pd.array(values, dtype="Int64")
    out = out[out["item"].notna()]
    return out[VOTE_COLUMNS].reset_index(drop=True)


def _blank(value: object) -> bool:
    return is_blank(value) or (isinstance(value, str) and not value.strip())


def _score(value: object) -> int | None:
    if _blank(value):
        return None
    try:
        number = float(str(value).strip().replace("−", "-"))
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def read_vote_file(path: str | os.PathLike, problems: list[Problem] | None = None) -> pd.DataFrame:
    """One participant's votes (columns :data:`VOTE_COLUMNS`) from a votes CSV, a copy of
    painpoints.csv / touchpoints.csv, or a copy of workspace.xlsx. The voter is the file's
    ``voter`` column, else the file name without its extension. Bad scores are appended
    to ``problems`` (a warning naming the file, row, column and value) and left blank."""
    path = Path(path)
    found = problems if problems is not None else []
    voter = path.stem
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            sheets = pd.read_excel(path, sheet_name=None, dtype=object)
            parts = [_typed_votes(sheet, f"{path.name}[{name}]", voter, found)
                     for name, sheet in sheets.items() if name.lower() in ("painpoints", "touchpoints", "votes")]
            return pd.concat(parts, ignore_index=True) if parts else _empty()
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise JourneykitError(f"cannot read the votes in {path}: {error}") from error
    return _typed_votes(raw, path.name, voter, found)


def read_votes(folder: str | os.PathLike, files: Sequence[str | os.PathLike] = (),
               problems: list[Problem] | None = None) -> pd.DataFrame:
    """Every vote: the workspace's ``votes/*.csv`` and the extra ``files`` (columns
    :data:`VOTE_COLUMNS`). A participant who voted twice on an item (two files) counts
    once, with the last file's vote."""
    paths = sorted((Path(folder) / VOTES_DIR).glob("*.csv")) + [Path(f) for f in files]
    frames = [read_vote_file(path, problems) for path in paths]
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty()
    votes = pd.concat(frames, ignore_index=True)
    return votes.drop_duplicates(["voter", "item"], keep="last").reset_index(drop=True)


def _median(values: Iterable[int]) -> int:
    ordered = sorted(values)
    middle = len(ordered) // 2
    value = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return int(math.floor(value + 0.5))


def merge_votes(votes: pd.DataFrame) -> pd.DataFrame:
    """One row per item: ``votes`` (how many people scored it), for each field the
    median (half-way rounds up) and ``<field>_spread`` (highest minus lowest vote,
    0 when everyone agreed), and ``spread``: the largest of the field spreads. Fields
    nobody scored are blank. No names.

    >>> votes = pd.DataFrame({"voter": ["a", "b"], "item": ["tp_1", "tp_1"], "emotion": [-2, 1]})
    >>> [int(merge_votes(votes).at[0, c]) for c in ("emotion", "emotion_spread", "spread")]
    [0, 3, 3]
    """
    rows = []
    for item, group in votes.groupby("item", sort=True):
        row: dict[str, object] = {"item": str(item), "votes": int(group["voter"].nunique())}
        spreads = []
        for field in SCALES:
            column = group[field] if field in group else pd.Series(dtype="Int64")
            values = [int(v) for v in column if not is_blank(v)]
            row[field] = _median(values) if values else pd.NA
            row[f"{field}_spread"] = (max(values) - min(values)) if values else pd.NA
            if values:
                spreads.append(max(values) - min(values))
        row["spread"] = max(spreads) if spreads else pd.NA
        rows.append(row)
    columns = ["item", "votes", *SCALES, *[f"{f}_spread" for f in SCALES], "spread"]
    out = pd.DataFrame(rows, columns=columns)
    for column in columns[1:]:
        out[column] = out[column].astype("Int64")
    out["item"] = out["item"].astype("string")
    return out


def vote_summary(folder: str | os.PathLike) -> pd.DataFrame:
    """What the report may show of the votes in ``folder/votes/``: per item, how many
    voted and the spread (columns item, votes, spread); never a name. Empty when nobody
    voted; unreadable files are skipped here (``journeykit workshop collect`` names them)."""
    try:
        merged = merge_votes(read_votes(folder))
    except JourneykitError:
        merged = merge_votes(_empty())
    return merged[["item", "votes", "spread"]]


def write_votes(folder: str | os.PathLike, voter: str, votes: pd.DataFrame) -> Path:
    """Save ``voter``'s votes (columns item and any of the scored fields) into
    ``folder/votes/<voter slug>.csv``: items already there keep what is not given again,
    under a lock, atomically (two tabs of one person never lose a vote). Returns the path.
    A blank score clears that vote."""
    path = Path(folder) / VOTES_DIR / f"{voter_slug(voter)}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    (Path(folder) / ".journeykit").mkdir(exist_ok=True)
    problems: list[Problem] = []
    new = _typed_votes(votes.assign(voter=voter.strip()), path.name, voter.strip(), problems)
    if problems:
        raise JourneykitError("; ".join(str(p) for p in problems))
    with FileLock(str(Path(folder) / ".journeykit" / "votes.lock"), timeout=30):
        old = read_vote_file(path) if path.exists() else _empty()
        kept = old[~old["item"].isin(set(new["item"]))]
        if len(old):
            updates = old[old["item"].isin(set(new["item"]))].set_index("item")
            for field in SCALES:  # a field not given in ``votes`` keeps its earlier vote
                if field not in votes.columns:
                    new[field] = new["item"].map(updates[field]).astype("Int64")
        frame = pd.concat([kept, new], ignore_index=True) if len(kept) else new
        frame = frame.assign(voter=voter.strip()).sort_values("item", kind="stable")
        atomic_write_bytes(path, frame[VOTE_COLUMNS].to_csv(index=False, lineterminator="\r\n").encode("utf-8"))
    return path
