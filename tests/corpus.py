"""The bad-input corpus: hand-made workspace files, each with the outcome a user
should see. tests/test_reliability.py runs every case and keeps docs/reliability.md
current (the table there is generated from these cases and their real results)."""

from __future__ import annotations

from dataclasses import dataclass, field

FB_HEADER = "customer_id,date,stage,nps,csat,ces,comment"
GOOD_ROW = "c1,2026-01-02,decision,9,5,2,Lovely"


@dataclass(frozen=True)
class Case:
    category: str
    name: str
    files: dict[str, str | bytes]
    expect_errors: tuple[tuple[str, int | None, str | None], ...] = ()  # (file, row, column)
    data_rows: int | None = None  # rows in the bad table, to check quarantine accounting
    table: str = "feedback"
    yaml_extra: str = ""
    notes: str = ""
    expect_warning: str | None = None
    extra: dict = field(default_factory=dict)


def _fb(*rows: str, header: str = FB_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


CASES: list[Case] = [
    # -- encodings and file forms
    Case("encoding", "UTF-8 with BOM", {"feedback.csv": ("\ufeff" + _fb(GOOD_ROW)).encode("utf-8")}, data_rows=1),
    Case("encoding", "UTF-16 with BOM", {"feedback.csv": _fb(GOOD_ROW, "c2,2026-01-03,decision,7,4,3,Schön").encode("utf-16")}, data_rows=2),
    Case("encoding", "latin-1 (cp1252)", {"feedback.csv": _fb("c2,2026-01-03,decision,7,4,3,Café crème").encode("cp1252")}, data_rows=1),
    Case("delimiter", "semicolon, decimal comma", {"orders.csv": "order_id;customer_id;date;amount\no1;c1;2026-01-02;12,50\n"}, table="orders", data_rows=1),
    Case("delimiter", "tab", {"feedback.csv": _fb(GOOD_ROW).replace(",", "\t")}, data_rows=1),
    Case("line ends", "CRLF", {"feedback.csv": _fb(GOOD_ROW, GOOD_ROW.replace("c1", "c2")).replace("\n", "\r\n")}, data_rows=2),
    Case("line ends", "quoted newline inside a comment", {"feedback.csv": _fb('c1,2026-01-02,decision,9,5,2,"two\nlines"', "c2,2026-01-03,decision,12,5,2,x")},
         expect_errors=(("feedback.csv", 3, "nps"),), data_rows=2),
    Case("structure", "empty file", {"feedback.csv": ""}, expect_errors=(("feedback.csv", None, None),)),
    Case("structure", "header only", {"feedback.csv": FB_HEADER + "\n"}, data_rows=0),
    Case("structure", "duplicated header", {"feedback.csv": _fb(GOOD_ROW + ",9", header=FB_HEADER + ",nps")},
         expect_errors=(("feedback.csv", 1, "nps"),)),
    Case("structure", "missing required column", {"feedback.csv": "customer_id,nps\nc1,9\n"},
         expect_errors=(("feedback.csv", 1, "date"),)),
    Case("structure", "extra columns are kept out, not an error", {"feedback.csv": _fb(GOOD_ROW + ",x", header=FB_HEADER + ",internal_note")}, data_rows=1),
    Case("structure", "unquoted comma in a comment", {"feedback.csv": _fb("c1,2026-01-02,decision,9,5,2,Good, but slow")},
         expect_errors=(("feedback.csv", 2, None),), data_rows=1),
    Case("structure", "missing required table (touchpoints)", {"touchpoints.csv": None},
         expect_errors=(("touchpoints.csv", None, None),), table="touchpoints"),
    Case("structure", "broken journey.yaml", {"journey.yaml": "business: x\nstages: [\n"},
         expect_errors=(("journey.yaml", None, None),), table="journey"),
    Case("types", "NPS 11", {"feedback.csv": _fb(GOOD_ROW, GOOD_ROW, "c3,2026-01-02,decision,11,5,2,x")},
         expect_errors=(("feedback.csv", 4, "nps"),), data_rows=3),
    Case("types", "CSAT 0 and CES 8", {"feedback.csv": _fb("c1,2026-01-02,decision,9,0,8,x")},
         expect_errors=(("feedback.csv", 2, "csat"), ("feedback.csv", 2, "ces")), data_rows=1),
    Case("types", "NPS 7.5 and text", {"feedback.csv": _fb("c1,2026-01-02,decision,7.5,5,2,x", "c2,2026-01-02,decision,ten,5,2,x")},
         expect_errors=(("feedback.csv", 2, "nps"), ("feedback.csv", 3, "nps")), data_rows=2),
    Case("types", "spreadsheet error cells #ERROR! and #N/A", {"feedback.csv": _fb("c1,2026-01-02,decision,#ERROR!,5,2,x", "c2,2026-01-02,decision,9,#N/A,2,x")},
         expect_errors=(("feedback.csv", 2, "nps"), ("feedback.csv", 3, "csat")), data_rows=2),
    Case("types", "N/A, NA and blanks are missing answers", {"feedback.csv": _fb("c1,2026-01-02,decision,N/A,NA,,x")}, data_rows=1),
    Case("types", "negative amount", {"orders.csv": "order_id,customer_id,date,amount\no1,c1,2026-01-02,-5\n"},
         expect_errors=(("orders.csv", 2, "amount"),), table="orders", data_rows=1),
    Case("dates", "mixed formats (ISO, day-first, with time)", {"feedback.csv": _fb("c1,2026-01-02,decision,9,5,2,x", "c2,03/01/2026,decision,9,5,2,x", "c3,2026-01-04 17:30,decision,9,5,2,x")}, data_rows=3),
    Case("dates", "offsets and Z converted to the workspace zone", {"events.csv": "customer_id,timestamp,event\nc1,2026-03-01T12:00:00Z,ad_click\nc1,2026-03-01T13:00:00+02:00,order\n"}, table="events", data_rows=2),
    Case("dates", "unparseable date", {"feedback.csv": _fb("c1,last tuesday,decision,9,5,2,x")},
         expect_errors=(("feedback.csv", 2, "date"),), data_rows=1),
    Case("dates", "ticket closed before it was opened", {"tickets.csv": "ticket_id,opened,closed\nt1,2026-01-05,2026-01-02\n"},
         expect_errors=(("tickets.csv", 2, "closed"),), table="tickets", data_rows=1),
    Case("identity", "duplicated ids", {"orders.csv": "order_id,customer_id,date,amount\no1,c1,2026-01-02,5\no1,c2,2026-01-03,6\n"},
         expect_errors=(("orders.csv", 3, "order_id"),), table="orders", data_rows=2),
    Case("identity", "dangling reference (pain point -> touchpoint)", {"painpoints.csv": "id,touchpoint,kind,description\np1,tp_gone,pain,x\n"},
         expect_errors=(("painpoints.csv", 2, "touchpoint"),), table="painpoints", data_rows=1),
    Case("identity", "feedback for a stage that does not exist", {"feedback.csv": _fb("c1,2026-01-02,delivery,9,5,2,x")},
         expect_errors=(("feedback.csv", 2, "stage"),), data_rows=1),
    Case("identity", "orders for unknown customers", {"customers.csv": "customer_id,first_seen\nc1,2026-01-01\n", "orders.csv": "order_id,customer_id,date,amount\no1,c9,2026-01-02,5\n"},
         expect_errors=(("orders.csv", 2, "customer_id"),), table="orders", data_rows=1),
    Case("size", "a 1 MB comment", {"feedback.csv": _fb("c1,2026-01-02,decision,9,5,2," + "x" * 1_000_000)}, data_rows=1),
    Case("size", "events that belong to no stage", {"events.csv": "customer_id,timestamp,event\nc1,2026-01-01,ad_click\nc1,2026-01-01,teleport\n"},
         table="events", data_rows=2, expect_warning="teleport"),
    Case("hostile text", "formula and script in a comment", {"feedback.csv": _fb('c1,2026-01-02,decision,9,5,2,"=HYPERLINK(""http://x"",""y"")"', "c2,2026-01-02,decision,9,5,2,<script>alert(1)</script>")}, data_rows=2),
]
