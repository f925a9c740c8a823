"""The canonical workspace tables: names, columns, types and checks (data only, no I/O).

Each :class:`Column` says its canonical name, its kind (``id``, ``text``,
``datetime``, ``int``, ``float``, ``bool``, ``list``), whether it must be present,
and the checks a value must pass. :data:`TABLES` lists every table in the order
the loader reads them (referenced tables first). See docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("id", "text", "datetime", "int", "float", "bool", "list")


@dataclass(frozen=True)
class Column:
    """One canonical column of a workspace table."""

    name: str
    kind: str = "text"
    required: bool = False
    unique: bool = False
    not_null: bool = False
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    references: str | None = None  # "stages", "channels", or a table name
    description: str = ""
    #: an older name of another column, read so existing workspaces keep working; a new
    #: workspace (``journeykit new``) is not given it
    older_name_of: str | None = None

    def expectation(self) -> str:
        """What a valid value looks like, in words (used in problem messages)."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind == "int" and self.low is not None and self.high is not None:
            return f"an integer {self.low:g}-{self.high:g}"
        if self.kind == "float" and self.low is not None:
            return f"a number >= {self.low:g}"
        if self.kind == "datetime":
            return "a date or date-time such as 2026-03-31 or 2026-03-31 14:05"
        if self.kind == "bool":
            return "yes/no (true/false, online/offline)"
        if self.kind == "int":
            return "an integer"
        if self.kind == "float":
            return "a number"
        return "a value"


@dataclass(frozen=True)
class Table:
    """A workspace table: its columns and whether the workspace needs it."""

    name: str
    required: bool
    columns: tuple[Column, ...]
    key: str | None = None
    description: str = ""
    large: bool = False
    keep_extra_columns: bool = False

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def current_columns(self) -> tuple[Column, ...]:
        """The columns a new workspace is given: all but the older names."""
        return tuple(c for c in self.columns if c.older_name_of is None)


PAINPOINT_KINDS = ("pain", "opportunity")
PAINPOINT_STATUSES = ("open", "planned", "in progress", "done", "dropped")

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "personas", True, key="id",
            description="One row per persona the team works with.",
            columns=(
                Column("id", "id", required=True, unique=True, not_null=True,
                       description="short id, e.g. commuter"),
                Column("name", required=True, not_null=True, description="display name"),
                Column("quote", description="a sentence this persona would say"),
                Column("demographics", description="age, life stage, location, income"),
                Column("goals", description="what they want to achieve"),
                Column("frustrations", description="what annoys or blocks them"),
                Column("motivations", description="why they buy"),
                Column("preferred_channels", "list", references="channels",
                       description="channels they prefer, separated by ;"),
                Column("rule", description="optional rule assigning customers, e.g. age_band == '25-34'"),
            ),
        ),
        Table(
            "touchpoints", True, key="id",
            description="Every place a customer meets the business.",
            columns=(
                Column("id", "id", required=True, unique=True, not_null=True,
                       description="short id, e.g. tp_checkout"),
                Column("stage", "id", required=True, not_null=True, references="stages",
                       description="stage id from journey.yaml"),
                Column("channel", required=True, not_null=True, references="channels",
                       description="channel from journey.yaml"),
                Column("name", required=True, not_null=True, description="what the touchpoint is"),
                Column("owner", references="owners", description="team that owns it"),
                Column("online", "bool", description="yes if online, no if offline"),
                Column("personas", "list", references="personas",
                       description="persona ids who use it, separated by ; (blank = all)"),
                Column("description", description="notes"),
                Column("emotion", "int", low=-2, high=2,
                       description="the workshop's estimate of how customers feel, -2..+2"),
            ),
        ),
        Table(
            "painpoints", False, key="id",
            description="Pain points and opportunities written in workshops.",
            columns=(
                Column("id", "id", required=True, unique=True, not_null=True,
                       description="short id, e.g. pp_queue"),
                Column("touchpoint", "id", required=True, not_null=True, references="touchpoints",
                       description="the touchpoint where it happens (a touchpoint id)"),
                Column("kind", required=True, not_null=True, choices=PAINPOINT_KINDS,
                       description="pain (a problem) or opportunity (an idea)"),
                Column("description", required=True, not_null=True,
                       description="what happens, in the customer's words if possible"),
                Column("severity", "int", low=1, high=5, description="1 (minor) to 5 (severe)"),
                Column("frequency", "int", low=1, high=5, description="1 (rare) to 5 (constant)"),
                Column("effort", "int", low=1, high=5, description="1 (easy) to 5 (big project); blank = 3"),
                Column("owner", references="owners", description="team responsible"),
                Column("status", choices=PAINPOINT_STATUSES,
                       description="open, planned, in progress, done or dropped"),
            ),
        ),
        Table(
            "customers", False, key="customer_id", keep_extra_columns=True,
            description="One row per customer; extra columns are kept as attributes.",
            columns=(
                Column("customer_id", "id", required=True, unique=True, not_null=True,
                       description="the customer's id, as in your shop or till export"),
                Column("first_seen", "datetime", required=True, not_null=True,
                       description="when the customer first appeared"),
                Column("persona_id", "id", references="personas", description="their persona (a persona id)"),
                Column("channel", description="acquisition channel"),
            ),
        ),
        Table(
            "events", False, large=True,
            description="Behaviour log: one row per event.",
            columns=(
                Column("customer_id", "id", required=True, not_null=True,
                       description="who did it (a customer id)"),
                Column("timestamp", "datetime", required=True, not_null=True, description="when it happened"),
                Column("event", required=True, not_null=True,
                       description="what happened, e.g. viewed_product (list event names under the stages "
                                   "in journey.yaml)"),
                Column("channel", description="where it happened"),
            ),
        ),
        Table(
            "orders", False, key="order_id",
            description="Purchases.",
            columns=(
                Column("order_id", "id", required=True, unique=True, not_null=True,
                       description="the order number"),
                Column("customer_id", "id", required=True, not_null=True, references="customers",
                       description="who bought (a customer id)"),
                Column("date", "datetime", required=True, not_null=True, description="when the order was placed"),
                Column("amount", "float", required=True, not_null=True, low=0,
                       description="order value in the workspace currency"),
                Column("channel", description="where it was bought"),
            ),
        ),
        Table(
            "feedback", False,
            description="Survey answers and reviews.",
            columns=(
                Column("customer_id", "id", references="customers",
                       description="who answered (a customer id; blank if anonymous)"),
                Column("date", "datetime", required=True, not_null=True, description="when they answered"),
                Column("stage", "id", references="stages",
                       description="stage where the survey was asked (blank = asked_at's stage)"),
                Column("asked_at", "id", references="touchpoints",
                       description="touchpoint where the survey was asked (CSAT per stage counts here)"),
                Column("touchpoint", "id", references="touchpoints", older_name_of="asked_at",
                       description="the older name of asked_at: where the survey was asked"),
                Column("about", "id", references="touchpoints",
                       description="touchpoint the comment is about (blank = the theme's, else asked_at)"),
                Column("nps", "int", low=0, high=10, description="0-10 likelihood to recommend"),
                Column("csat", "int", low=1, high=5, description="1-5 satisfaction"),
                Column("ces", "int", low=1, high=7, description="1-7 customer effort score, 7 = very easy"),
                Column("comment", description="free text"),
                Column("channel", description="where they answered"),
                Column("source", description="survey, review, ..."),
            ),
        ),
        Table(
            "tickets", False, key="ticket_id",
            description="Support tickets.",
            columns=(
                Column("ticket_id", "id", required=True, unique=True, not_null=True,
                       description="the ticket number"),
                Column("customer_id", "id", references="customers", description="who wrote (a customer id)"),
                Column("opened", "datetime", required=True, not_null=True, description="when it was opened"),
                Column("closed", "datetime", description="when it was closed (blank while open, not before opened)"),
                Column("channel", description="where they contacted you"),
                Column("category", description="your help desk's category"),
                Column("text", description="the customer's words"),
                Column("touchpoint", "id", references="touchpoints",
                       description="the touchpoint it is about (a touchpoint id)"),
            ),
        ),
    )
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)
REQUIRED_TABLES: tuple[str, ...] = tuple(n for n, t in TABLES.items() if t.required)

#: Which analyses need which tables, and the notebook that shows each (notebook 00
#: and the report say in advance what will run and what will be skipped).
ANALYSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Persona cards with shares, CLV and NPS": ("01", ("personas", "customers")),
    "Data-driven segments": ("01", ("customers", "orders")),
    "Touchpoint inventory and coverage": ("02", ("touchpoints",)),
    "Pain points from comments and tickets": ("03", ("feedback",)),
    "Workshop pain points and action plan": ("03", ("painpoints",)),
    "Stage funnel, paths, retention": ("04", ("events",)),
    "NPS, CSAT, CES by stage and persona": ("04", ("feedback",)),
    "Customer lifetime value": ("04", ("orders",)),
    "Journey map and scorecard": ("05", ("touchpoints",)),
}


@dataclass
class StageSpec:
    """Default stage list for a new workspace."""

    id: str
    name: str
    description: str
    events: list[str] = field(default_factory=list)


STANDARD_STAGES: tuple[StageSpec, ...] = (
    StageSpec("awareness", "Awareness", "People first hear of the business."),
    StageSpec("consideration", "Consideration", "They compare options and look for reasons to choose."),
    StageSpec("decision", "Decision", "They buy, book or sign up."),
    StageSpec("post_purchase", "Post-purchase & retention",
              "Delivery, use, support, and coming back (or not)."),
)
STANDARD_CHANNELS: tuple[str, ...] = ("web", "mobile", "store", "phone", "email", "social")
STANDARD_OWNERS: tuple[str, ...] = ("Marketing", "Sales", "Operations", "Customer service")
