"""Privacy everywhere (issue 19, items 5 and 6): one masking rule (`mask_pii`) for
e-mail addresses, phone numbers (international and national), IBANs (checksum) and
payment-card numbers (Luhn), without touching dates, amounts, order ids or times; every
free text that reaches a report, a notebook output, a run-folder table, a figure or the
action plan is masked (a real `journeykit run` on a workspace with personal data planted
in every text field of every table, then the whole run folder is searched); a problem
message shows at most a short masked excerpt of a value."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

import journeykit as jk
from journeykit.core.errors import Problem, format_problems, problems_frame
from journeykit.core.privacy import EXCERPT_CHARS, excerpt, mask_frame, mask_pii
from journeykit.run.outputs import Outputs
from journeykit.viz.report import build_report
from journeykit.viz.report.views import display_text, table_view

from .conftest import JOURNEY_YAML, write_workspace

JOURNEYKIT = Path(sys.executable).with_name("journeykit")


# --------------------------------------------------------------------------- planted values


def iban(country: str, bban: str) -> str:
    """A checksum-valid IBAN (ISO 13616), grouped by four as printed on a bank card."""
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    compact = f"{country}{98 - int(digits) % 97:02d}{bban}"
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def card(prefix: str) -> str:
    """A Luhn-valid 16-digit card number starting with ``prefix`` (15 digits), grouped by four."""
    total = 0
    for index, ch in enumerate(reversed(prefix)):
        value = int(ch)
        if index % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    number = prefix + str((10 - total % 10) % 10)
    return " ".join(number[i:i + 4] for i in range(0, 16, 4))


def planted(k: int) -> dict[str, str]:
    """The personal data planted in text field number ``k`` (unique per field)."""
    return {
        "email": f"planted{k}.person@example.org",
        "international": f"+31 6 1234 56{k:02d}",
        "national": f"06-123456{k:02d}",
        "landline": f"020 123 45{k:02d}",
        "iban": iban("NL", f"ABNA04171643{k:02d}"),
        "card": card(f"411111111111{k:03d}"),
    }


def forms(values: dict[str, str]) -> list[str]:
    """Every form a planted value could take in an output: as written, and its digits
    (or letters and digits) without separators."""
    out = list(values.values())
    for key in ("international", "national", "landline", "card"):
        out.append(re.sub(r"\D", "", values[key]))
    out.append(values["iban"].replace(" ", ""))
    return out


def text_with(k: int, words: str) -> str:
    v = planted(k)
    return (f"{words}: mail {v['email']} or call {v['international']} / {v['national']} / "
            f"{v['landline']}, refund to {v['iban']}, card {v['card']}")


@pytest.mark.parametrize("k", [0, 7, 42])
def test_the_planted_values_are_what_they_claim(k):
    values = planted(k)
    assert mask_pii(values["iban"]) == "[iban]"
    assert mask_pii(values["card"]) == "[card]"
    for key in ("international", "national", "landline"):
        assert mask_pii(values[key]) == "[phone]"
    assert mask_pii(values["email"]) == "[email]"


# --------------------------------------------------------------------------- the rule


@pytest.mark.parametrize("text, masked", [
    ("IBAN NL91 ABNA 0417 1643 00, thanks", "IBAN [iban], thanks"),
    ("pay to NL91ABNA0417164300 today", "pay to [iban] today"),
    ("DE89 3704 0044 0532 0130 00", "[iban]"),
    ("GB82 WEST 1234 5698 7654 32.", "[iban]."),
    ("AT611904300234573201 from here", "[iban] from here"),
    ("fr14 2004 1010 0505 0001 3m02 606", "[iban]"),
    ("card 4111 1111 1111 1111 expired", "card [card] expired"),
    ("card 4111-1111-1111-1111", "card [card]"),
    ("5500005555555559", "[card]"),
    ("amex 3782 822463 10005", "amex [card]"),
    ("paid 25 with 4111 1111 1111 1111 ok", "paid 25 with [card] ok"),
    ("call +682 12345", "call [phone]"),
    ("bel +45 12 34 56 78", "bel [phone]"),
    ("bel 0045 33 12 34 56", "bel [phone]"),
    ("ring +1-202-555-0143", "ring [phone]"),
    ("schreib jürgen.müller@exämple.de oder", "schreib [email] oder"),
    ("mailto:o'brien+shop@example.co.uk.", "mailto:[email]."),
])
def test_ibans_cards_and_phone_numbers_are_masked(text, masked):
    assert mask_pii(text) == masked


@pytest.mark.parametrize("text", [
    "4111 1111 1111 1112 is not Luhn-valid",                  # card with a bad check
    "order ORD-2025-000123 and INV/2025/0001234",             # order and invoice ids
    "order 123456789 and #100234 and ticket T-2025-0042",
    "Delivered 2024-03-15 10:30:00, or 15/03/2024 at 14:28:42.5",
    "01/02/2025, 02/13/2025, 1 Feb 2025, 01.02.25",
    "It cost €1,299.00, then 1.299,00 EUR, then $1,299.00 and ¥1000",
    "score 0.93314763231197 and -12.123456789012 and 123.4567890123",
    "4 days 14:28:42.500000",
    "epoch 1709251200000, customer 1234567890123, stamp 20250101123000",
    "2025-01-01T10:00:00+01:00",
])
def test_dates_amounts_order_ids_and_times_are_not_masked(text):
    assert mask_pii(text) == text


def test_an_iban_with_a_wrong_checksum_is_not_taken_for_an_iban():
    assert "[iban]" not in mask_pii("NL91 ABNA 0417 1643 01 has a wrong checksum")
    assert mask_pii("NL91ABNA0417164301") == "NL91ABNA0417164301"


def test_masking_is_idempotent_and_keeps_non_text():
    once = mask_pii(text_with(3, "hello"))
    assert mask_pii(once) == once
    assert "[iban]" in once and "[card]" in once and once.count("[phone]") == 3
    assert mask_pii(None) is None and mask_pii(12) == 12
    assert jk.mask_pii is mask_pii


def test_a_long_digit_run_does_not_hang_the_rule():
    import time

    began = time.perf_counter()
    for text in ("1 " * 20_000, "x" + "9" * 50_000 + "a", "1-" * 20_000, "1." * 20_000, "4111 " * 20_000):
        mask_pii(text)
    assert time.perf_counter() - began < 5


def test_mask_frame_masks_text_cells_lists_and_names_but_not_numbers():
    frame = pd.DataFrame({"comment": pd.Series(["mail a.b@example.org", None], dtype="string"),
                          "quotes": [["call 06-12345678"], []], "n": [1, 2],
                          "mail me@example.org": ["x", "y"]})
    out = mask_frame(frame)
    assert out["comment"].tolist()[0] == "mail [email]" and pd.isna(out["comment"].tolist()[1])
    assert str(out["comment"].dtype) == "string"
    assert out["quotes"].tolist() == [["call [phone]"], []]
    assert out["n"].tolist() == [1, 2]
    assert "mail [email]" in out.columns
    assert frame["comment"].tolist()[0] == "mail a.b@example.org"  # the input is unchanged


# --------------------------------------------------------------------------- the sinks


def test_outputs_mask_tables_notes_and_figure_text(tmp_path):
    out = Outputs(tmp_path, notebook="03_pain_points")
    secret = text_with(1, "pain")
    out.table(pd.DataFrame({"description": [secret], "quotes": [[secret]]}), "pain_points")
    out.note("semantics", secret)
    fig = Figure()
    ax = fig.add_subplot()
    ax.bar([0, 1], [1, 2])
    ax.set_xticks([0, 1], [secret, "plain"])
    ax.set_title(secret)
    ax.annotate(secret, (0, 1))
    fig.text(0.1, 0.1, secret)
    out.figure(fig, "chart", title=secret, alt=secret)
    svg_out = Outputs(tmp_path, notebook="x", formats="png,svg")
    svg_out.figure(fig, "chart", title="t", alt="a")
    _assert_clean(tmp_path, [1])


def test_an_interactive_notebook_shows_figures_masked():
    fig = Figure()
    ax = fig.add_subplot()
    ax.set_xticks([0], ["mail jan@example.com"])
    ax.set_title("IBAN NL91 ABNA 0417 1643 00")
    shown = Outputs(None, notebook="x").show(fig, "chart", title="t", alt="a")
    assert shown is fig
    fig.canvas.draw()
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert "IBAN [iban]" in texts and "mail [email]" in [t.get_text() for t in ax.get_xticklabels()]
    assert not any("jan@example.com" in t or "0417" in t for t in texts)


def test_text_fitter_masks_before_wrapping():
    from journeykit.viz.textfit import TextFitter

    fit = TextFitter(Figure())
    lines = fit.wrap("Please call +31 6 1234 5678 about it", 0.9, 9, 8)
    assert "[phone]" in " ".join(lines) and "5678" not in " ".join(lines)


def test_report_views_mask_cells_notes_and_problems(tmp_path):
    secret = text_with(2, "ticket")
    assert "example.org" not in display_text(secret)
    view = table_view(pd.DataFrame({"text": [secret]}), "tickets")
    assert "[email]" in view.rows[0][0]
    run = tmp_path / "run"
    (run / "tables").mkdir(parents=True)
    pd.DataFrame({"pain_point": [secret], "priority": [1]}).to_csv(run / "tables" / "action_plan.csv", index=False)
    (run / "notes.json").write_text(json.dumps([{"notebook": "x", "kind": "semantics", "text": secret}]))
    (run / "manifest.json").write_text(json.dumps({"run_id": "r", "workspace_problems": [
        {"severity": "warning", "file": "f.csv", "row": 2, "column": "c", "value": secret, "expected": secret}]}))
    build_report(run)
    html = (run / "index.html").read_text("utf-8")
    assert "[email]" in html
    _assert_clean(run, [2], skip=("tables", "notes.json", "manifest.json"))


def test_notebook_tables_are_shown_masked():
    from IPython.core.interactiveshell import InteractiveShell

    from journeykit.viz.display import register_masked_tables

    shell = InteractiveShell.instance()
    register_masked_tables(shell)
    secret = text_with(4, "comment")
    data, _ = shell.display_formatter.format(pd.DataFrame({"comment": [secret]}))
    series, _ = shell.display_formatter.format(pd.Series([secret], name="comment"))
    shown = data["text/html"] + data["text/plain"] + series["text/plain"]
    assert "[email]" in shown
    for value in forms(planted(4)):
        assert value not in shown


def test_persona_cards_and_the_action_plan_are_masked(tmp_path):
    ws_path = write_workspace(tmp_path / "ws", **_tables())
    ws = jk.load_workspace(ws_path)
    cards = jk.persona_cards(ws)
    plan = jk.action_plan(ws)
    text = cards.to_csv() + plan.to_csv()
    assert "[email]" in text
    for k in range(len(_FIELDS)):
        for value in forms(planted(k)):
            assert value not in text


# --------------------------------------------------------------------------- problems


def test_a_problem_shows_a_short_masked_excerpt_of_a_value():
    secret = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc" * 10
    problems = [
        Problem(file="orders.csv", row=3, column="amount", value=secret, expected="a number"),
        Problem(file="feedback.csv", row=4, column="nps", value="mail jan@example.com\n\u200b or 06-12345678",
                expected="an integer 0-10, not 'jan@example.com'"),
        Problem(file="tickets.csv", row=5, column="text", value="x" * 10_000 + " jan@example.com",
                expected="at most 1000 characters"),
        Problem(file="tickets.csv", row=6, column="text", value="\x00\x01\x1b[31m" * 50, expected="text"),
    ]
    shown = [str(p) for p in problems] + [format_problems(problems), problems_frame(problems).to_csv()]
    for text in shown:
        assert "jan@example.com" not in text and "06-12345678" not in text
        assert "4eC39HqLyjWDarjtT1zdp7dc" not in text
        assert "\u200b" not in text and "\x00" not in text and "\x1b" not in text
    assert "\\u200b" in str(problems[1]) and "[email]" in str(problems[1])
    assert "\\x00" in str(problems[3])
    for p in problems:
        assert len(p.to_dict()["value"]) <= EXCERPT_CHARS + 2  # the quotes
    assert excerpt("line\nbreak") == "'line\\nbreak'"


def test_validate_shows_bad_cells_masked(tmp_path):
    secret = "AKIA" + "Z7Q" * 30
    ws = write_workspace(tmp_path / "ws", feedback=(
        "customer_id,date,nps,comment\n"
        f"c1,2025-01-02,call me jan@example.com,ok\n"
        f"c2,2025-01-03,{secret},ok\n"))
    result = subprocess.run([str(JOURNEYKIT), "validate", str(ws)], capture_output=True, text=True,
                            timeout=120, env=os.environ.copy())
    assert result.returncode == 2, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "[email]" in output
    assert "jan@example.com" not in output and "Z7QZ7QZ7QZ7Q" not in output
    assert "Traceback" not in output


# --------------------------------------------------------------------------- the whole run

_DATES = pd.date_range("2025-01-06", periods=12, freq="3D")
_FIELDS = [  # (table, column): every free-text field of every table
    ("personas", "name"), ("personas", "quote"), ("personas", "demographics"), ("personas", "goals"),
    ("personas", "frustrations"), ("personas", "motivations"),
    ("touchpoints", "name"), ("touchpoints", "description"),
    ("painpoints", "description"),
    ("customers", "contact"), ("customers", "notes"),
    ("events", "page"),
    ("orders", "note"),
    ("feedback", "comment"), ("feedback", "source"),
    ("tickets", "category"), ("tickets", "text"),
]


def _field(table: str, column: str) -> int:
    return _FIELDS.index((table, column))


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False)


def _tables() -> dict[str, str]:
    """A small complete workspace (conftest's journey) with personal data in every text field."""
    def t(table, column, words=""):
        return text_with(_field(table, column), words or f"{table} {column}")

    personas = pd.DataFrame({
        "id": ["regular", "foodie"],
        "name": [t("personas", "name", "The Regular"), t("personas", "name", "The Foodie")],
        **{c: [t("personas", c), t("personas", c, "other")] for c in
           ("quote", "demographics", "goals", "frustrations", "motivations")},
        "preferred_channels": ["store", "web;store"],
    })
    touchpoints = pd.DataFrame({
        "id": ["tp_ads", "tp_menu", "tp_counter", "tp_review"],
        "stage": ["awareness", "consideration", "decision", "post_purchase"],
        "channel": ["web", "web", "store", "web"],
        "name": [t("touchpoints", "name", f"Touchpoint {i}") for i in range(4)],
        "owner": ["Sales", "Sales", "Kitchen", "Sales"],
        "online": ["yes", "yes", "no", "yes"],
        "description": [t("touchpoints", "description", f"What happens {i}") for i in range(4)],
    })
    painpoints = pd.DataFrame({
        "id": ["pp1", "pp2", "pp3"], "touchpoint": ["tp_counter", "tp_menu", "tp_review"],
        "kind": ["pain", "pain", "opportunity"],
        "description": [t("painpoints", "description", f"Slow and late delivery {i}") for i in range(3)],
        "severity": [4, 3, 2], "frequency": [3, 4, 2], "effort": [2, 3, 4], "owner": ["Sales", "Kitchen", "Sales"],
        "status": ["open", "planned", "open"],
    })
    ids = [f"C{i:03d}" for i in range(24)]
    customers = pd.DataFrame({
        "customer_id": ids, "first_seen": [str(_DATES[i % 6].date()) for i in range(24)],
        "persona_id": ["regular" if i % 2 else "foodie" for i in range(24)],
        "channel": ["web" if i % 3 else "store" for i in range(24)],
        "contact": [t("customers", "contact", "contact") for _ in ids],
        "notes": [t("customers", "notes", "notes") for _ in ids],
    })
    events, orders, feedback, tickets = [], [], [], []
    steps = ["ad_click", "menu_view", "order", "review"]
    for i, cid in enumerate(ids):
        start = _DATES[i % 6] + pd.Timedelta(hours=9 + i % 5)
        for s, event in enumerate(steps[: 2 + i % 3]):
            events.append({"customer_id": cid, "timestamp": str(start + pd.Timedelta(hours=s * 5)),
                           "event": event, "channel": "web" if s < 2 else "store",
                           "page": t("events", "page", "page")})
        for o in range(1 + i % 3):
            orders.append({"order_id": f"O{i:03d}{o}", "customer_id": cid,
                           "date": str((start + pd.Timedelta(days=10 * o + 1)).date()),
                           "amount": 10.5 + i + o, "channel": "store", "note": t("orders", "note", "note")})
        feedback.append({"customer_id": cid, "date": str((start + pd.Timedelta(days=2)).date()),
                         "stage": ["decision", "post_purchase", "consideration"][i % 3],
                         "touchpoint": ["tp_counter", "tp_review", "tp_menu"][i % 3],
                         "nps": i % 11, "csat": 1 + i % 5, "ces": 1 + i % 7,
                         "comment": t("feedback", "comment", "Terrible slow late delivery, awful" if i % 2
                                      else "Lovely friendly staff, great"),
                         "channel": "web", "source": t("feedback", "source", "survey")})
        if i % 3 == 0:
            tickets.append({"ticket_id": f"T{i:03d}", "customer_id": cid,
                            "opened": str(start + pd.Timedelta(days=3)),
                            "closed": str(start + pd.Timedelta(days=5)), "channel": "email",
                            "category": t("tickets", "category", "delivery"),
                            "text": t("tickets", "text", "Where is my parcel? Late again"),
                            "touchpoint": "tp_counter"})
    return {"personas": _csv(personas), "touchpoints": _csv(touchpoints), "painpoints": _csv(painpoints),
            "customers": _csv(customers), "events": _csv(pd.DataFrame(events)), "orders": _csv(pd.DataFrame(orders)),
            "feedback": _csv(pd.DataFrame(feedback)), "tickets": _csv(pd.DataFrame(tickets)),
            "journey.yaml": JOURNEY_YAML + "themes:\n  delivery: {keywords: [late, delivery, parcel]}\n"}


def _contents(path: Path) -> bytes:
    """A file's bytes; for a zip container (xlsx) the bytes of every member."""
    data = path.read_bytes()
    if data[:2] == b"PK" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return b"\n".join(archive.read(name) for name in archive.namelist())
    return data


def _assert_clean(folder: Path, fields, skip: tuple[str, ...] = ()) -> None:
    files = [p for p in folder.rglob("*") if p.is_file()
             and not any(part in skip for part in p.relative_to(folder).parts)]
    assert files
    leaks = []
    for path in files:
        data = _contents(path)
        for k in fields:
            for value in forms(planted(k)):
                if value.encode("utf-8") in data:
                    leaks.append(f"{path.relative_to(folder)}: {value}")
    assert not leaks, "\n".join(sorted(set(leaks))[:40])


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("planted")
    ws = write_workspace(base / "ws", **_tables())
    out = base / "reports"
    result = subprocess.run([str(JOURNEYKIT), "run", "--workspace", str(ws), "--out", str(out), "--quiet", "--svg"],
                            capture_output=True, text=True, timeout=600, env=os.environ.copy())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    runs = [p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and p.name != "latest"]
    assert len(runs) == 1
    return runs[0]


def test_no_planted_personal_data_anywhere_in_the_run_folder(planted_run):
    kinds = {p.suffix for p in planted_run.rglob("*") if p.is_file()}
    assert {".html", ".csv", ".xlsx", ".json", ".ipynb", ".png"} <= kinds
    _assert_clean(planted_run, range(len(_FIELDS)))


def test_the_masked_texts_did_reach_the_outputs(planted_run):
    report = (planted_run / "index.html").read_text("utf-8")
    assert "[email]" in report and "[iban]" in report and "[card]" in report and "[phone]" in report
    plan = (planted_run / "action_plan.csv").read_text("utf-8")
    assert "[email]" in plan
    notebooks = "".join(p.read_text("utf-8") for p in (planted_run / "notebooks").glob("*.ipynb"))
    assert "[email]" in notebooks


def test_private_use_characters_in_a_text_survive_masking():
    text = "\ue005 order #123 call 06-12345678 \ue000 on 2025-01-02"
    assert mask_pii(text) == "\ue005 order #123 call [phone] \ue000 on 2025-01-02"


def test_a_long_text_is_masked_in_pieces_without_missing_anything():
    long = ("word " * 500 + "mail jan@example.com call +31 6 1234 5678 ") * 20
    masked = mask_pii(long)
    assert masked.count("[email]") == 20 and masked.count("[phone]") == 20
    assert "jan@" not in masked and "5678" not in masked
