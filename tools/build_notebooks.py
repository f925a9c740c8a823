"""Build notebooks/00_start_here.ipynb … 05_journey_report.ipynb from the cell texts below.

The .ipynb files are the product and are committed; this script only keeps them
consistent (one tagged ``parameters`` cell, python3 kernelspec, no outputs).
Run from the repository root:  .venv/bin/python tools/build_notebooks.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

COMMON_PARAMETERS = '''\
from typing import Optional

workspace: str = "../data/sample"  # folder with your journey files (relative to notebooks/, or absolute)
interactive: bool = True  # show editing widgets; False shows static tables and figures only
output_dir: Optional[str] = None  # folder where a scheduled run saves figures, tables and metrics; None saves nothing
on_bad_rows: str = "strict"  # strict stops at bad rows; quarantine sets them aside and counts them'''


def setup(notebook: str) -> str:
    return f'''\
from IPython.display import display

import journeykit as jk

jk.setup_notebook()  # charts as pictures, tables from data as plain text
ws = jk.load_workspace(workspace, on_bad_rows=on_bad_rows)
out = jk.Outputs(output_dir, notebook="{notebook}")
print(f"{{ws.config.business}}: workspace {{ws.path}}")'''


SETUP_MD = """\
## Step 1 · Open the workspace

The workspace is the folder holding your journey files. Opening it checks every
file; if something is wrong you get a table saying which file, row and column, and
what was expected. Fix the file in your spreadsheet program and run this cell again."""


def md(text: str) -> dict:
    return new_markdown_cell(text.strip("\n"))


def code(text: str) -> dict:
    return new_code_cell(text.strip("\n"))


def parameters(extra: str = "") -> dict:
    source = COMMON_PARAMETERS + ("\n" + extra.strip("\n") if extra.strip() else "")
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    return cell


def your_turn(text: str) -> dict:
    return md("> **Your turn.** " + text.strip())


# --------------------------------------------------------------------------- 00


NB00 = [
    md("""
# 00 · Start here

**The question:** is everything ready, and what can the kit tell you with the data you have today?

**At the end you will have:** a checked computer, a checked workspace, a list of the
analyses that will run (and of those that will be skipped, with the reason), and a
plan for your first mapping session.

This kit follows one customer journey map from first draft to a living document:

1. **Personas** (`01_personas`) - who your customers are, in the words of your team and in the numbers.
2. **Touchpoints** (`02_touchpoints`) - every place a customer meets your business, online and offline, per stage, with an owning team.
3. **Pain points** (`03_pain_points`) - where customers struggle or where you could delight them, ranked so you fix the right things first.
4. **KPIs** (`04_kpis`) - how many customers get through each stage, how satisfied they are, what they are worth.
5. **The journey report** (`05_journey_report`) - the map, the scorecard, the top priorities and what changed since last time.

Work through the notebooks in order the first time. Afterwards a scheduled run
(`journeykit run`) refreshes all of them from your latest data.
"""),
    md("""
## The settings of this notebook

The next cell holds the settings. Change `workspace` to point at your own folder.
A scheduled run fills them in for you, so leave the names as they are.
"""),
    parameters(),
    md("""
## Step 1 · Check the computer

The kit needs a handful of Python packages. The table lists the versions installed;
if a cell further down fails with an import error, this is the table to send to
whoever set up the computer.
"""),
    code('''
import sys
from importlib.metadata import version

import pandas as pd

import journeykit as jk

jk.setup_notebook()  # charts as pictures, tables from data as plain text
out = jk.Outputs(output_dir, notebook="00_start_here")
packages = ["journeykit", "pandas", "duckdb", "matplotlib", "scipy", "ipywidgets", "papermill"]
environment = pd.DataFrame({"package": ["python"] + packages,
                            "version": [sys.version.split()[0]] + [version(p) for p in packages]})
environment
'''),
    md("""
## Step 2 · Check the workspace

A workspace is a folder: `journey.yaml` (your stages, channels, teams and targets)
plus one file per table - personas, touchpoints, and any of pain points, customers,
events, orders, feedback and support tickets. Each table can be a CSV file, a sheet
in `workspace.xlsx`, or a Parquet file for large event logs.

The check below reads everything and lists what it found wrong. **Errors** stop
the analyses; **warnings** are worth a look but do not stop anything.
"""),
    code('''
problems = jk.problems_frame(jk.validate_workspace(workspace))
out.table(problems, "workspace_problems")
problems if len(problems) else print("No problems found.")
'''),
    md("""
**How to read it:** each line names the file, the row as your spreadsheet shows it
(the header is row 1), the column, the value found and what was expected. Fix the
errors in the file, save, and run the cell again.
"""),
    md("""
## Step 3 · Which data is there

Only `journey.yaml`, personas and touchpoints are required. Everything else makes the
map richer: events show what people actually did, orders what they spent, feedback
and tickets how they felt.
"""),
    code('''
ws = jk.load_workspace(workspace, on_bad_rows=on_bad_rows)
present = ws.summary()
out.table(present, "data_present")
print(f"{ws.config.business}: {len(ws.config.stages)} stages, {len(ws.config.channels)} channels")
present
'''),
    md("""
## Step 4 · Which analyses will run

Each analysis needs certain tables. When one is missing, that analysis is skipped
with a short note in its notebook and in the report - never an error. The table
below tells you in advance, so you know which export to ask for next.
"""),
    code('''
plan = ws.analysis_plan()
for row in plan[~plan["will_run"]].itertuples():
    out.note("skipped", f"{row.analysis} (notebook {row.notebook}): {row.why}")
plan
'''),
    md("""
**How to read it:** `will_run` False is not a failure; `why` names the missing data. It tells you which
data would unlock that analysis. Most small businesses can export orders from the
till or web shop and feedback from their survey tool in a few minutes.
"""),
    your_turn("""
Look at the rows marked False. Which export could you get this week, and from
whom? Write the answer on a sticky note for the action plan."""),
    md("""
## How the kit fits together

```
your files (workspace folder) ──▶ notebooks 01-05 ──▶ figures, tables, action plan
        ▲                              │
        │ widget edits saved at once   ▼
   workshop, spreadsheets        journeykit run ──▶ reports/<run>/index.html
                                                     (the refreshed journey report)
```

* You and your team edit the workspace - in a spreadsheet, or with the widgets in
  the notebooks. Every widget edit is written to the file immediately, and the
  previous version is kept.
* A scheduled run never changes your files; it writes a new report folder each time
  and compares the numbers with the previous run, so the map stays current.

## Start your own journey

On the command line, make a blank workspace and open its spreadsheet:

```
journeykit new my-shop
```

That creates `my-shop/` with a `journey.yaml` to edit (business name, stages,
channels, teams, targets) and a `workspace.xlsx` whose sheets have drop-downs for
stages, channels and owners. Then set `workspace = "../my-shop"` (or the full path)
in the settings cell of each notebook.
"""),
    your_turn("""
Run `journeykit new my-shop` in a terminal (or `jk.new_workspace("../my-shop")` in a
new cell), open `my-shop/journey.yaml`, and replace the example stages with the four
or five steps your own customers go through."""),
    md("""
## A workshop with this kit

| time | what | notebook |
| --- | --- | --- |
| 0:00 | Why we map; agree the stages | 00 |
| 0:15 | Personas: who are we serving? | 01 |
| 0:40 | Touchpoints per stage; who owns each | 02 |
| 1:05 | Pain points and opportunities; score them | 03 |
| 1:35 | The numbers: funnel, satisfaction, value | 04 |
| 1:50 | The map, top priorities, who does what next | 05 |

The facilitator's guide (`docs/workshop.md`) has a 2-hour and a half-day version,
roles, and exercises for a blank workspace.

**Next:** open `01_personas.ipynb`.
"""),
]


# --------------------------------------------------------------------------- 01


NB01 = [
    md("""
# 01 · Personas

**The question:** who are our customers - and do the personas we wrote down match
what the data shows?

**At the end you will have:** one card per persona with your team's words (goals,
frustrations, favourite channels) next to the numbers (share of customers and
revenue, lifetime value, NPS, biggest pain point), segments the data suggests, and
personas edited and saved in the workspace.

A persona is a short, concrete portrait of one kind of customer: who they are,
what they want, what annoys them, how they like to reach you. Good personas mix
three kinds of knowledge - facts about people (age, place, job), what they think
and care about, and what they actually do.
"""),
    parameters('persona: Optional[str] = None  # persona id to look at closely; None shows all personas'),
    md(SETUP_MD),
    code(setup("01_personas")),
    md("""
## Step 2 · The persona cards

Each row is one persona: the words your team wrote, then what the data says about
the customers assigned to it.
"""),
    code('''
cards = jk.persona_cards(ws)
out.table(cards, "persona_cards")
shown = cards if persona is None else cards[cards["id"] == persona]
card_figure = jk.persona_card_figure(shown, currency=ws.config.currency)
display(out.show(card_figure, "persona_cards", title="Persona cards",
           alt="One card per persona: quote, goals, frustrations, channels and their data"))
'''),
    md("""
**How to read it:** `share_customers` and `share_revenue` are between 0 and 1. A
persona with a small share of customers but a large share of revenue is worth
extra care. `clv` is the average value of one of its customers so far, in your
currency; `nps` runs from -100 to 100 and `nps_n` says how many answers it rests on -
treat anything below about 30 answers as a hint, not a fact. `top_pain_point` is
the highest-ranked problem on a touchpoint this persona uses.
"""),
    md("""
## Step 3 · The personas in numbers

The same figures as a chart, so a room can compare personas at a glance.
"""),
    code('''
if ws.has("customers") and ws.has("feedback"):
    by_persona = jk.kpi_table(ws.feedback, by="persona_id", customers=ws.customers)
    fig = jk.kpi_by_group(by_persona, "nps", title="Net Promoter Score per persona",
                           labels=ws.labels("persona"))
    display(out.show(fig, "persona_nps", title="Net Promoter Score per persona",
               alt="NPS of each persona's customers with 95% intervals; small groups drawn hollow"))
else:
    print(out.skipped("Persona figures skipped: they need customers and feedback tables."))
'''),
    your_turn("""
Which persona brings in more revenue than its share of customers suggests? What
does that persona want that the others do not?"""),
    md("""
## Step 4 · What the data suggests

Personas start as the team's best guess. Here the kit groups customers purely by
behaviour - how recently and how often they buy, how much they spend, which
channels they use - and describes each group in words. Each group is then matched
to the persona it most resembles.
"""),
    code('''
if ws.has("customers") and (ws.has("orders") or ws.has("events")):
    segments = jk.suggest_segments(ws)
    out.table(segments.segments, "segments")
    display(segments.segments[["segment", "n_customers", "description",
                               "closest_persona_name", "evidence"]])
else:
    print(out.skipped("Segment suggestions skipped: they need customers plus orders or events."))
'''),
    md("""
**How to read it:** a segment that matches a persona well is evidence for that
persona. A large segment matching none of them may be a customer group nobody has
talked about yet; a persona that no segment resembles may be a wish rather than a
group you actually serve.
"""),
    your_turn("""
Is there a segment without a persona? Give it a name, a quote and one goal, and
add it with the editor below."""),
    md("""
## Step 5 · Edit the personas

Pick a persona, change any field, and it is saved to the workspace straight away
(the previous version of the file is kept). In a scheduled run this step shows the
personas as a table instead.
"""),
    code('''
jk.persona_editor(ws) if interactive else ws.personas
'''),
    md("""
**Next:** `02_touchpoints.ipynb` - where these people meet your business.
"""),
]


# --------------------------------------------------------------------------- 02


NB02 = [
    md("""
# 02 · Touchpoints

**The question:** where, at each stage of the journey, does a customer meet our
business - and who looks after each of those moments?

**At the end you will have:** the touchpoint inventory, a stage × channel map of
where you are present and where you are not, the journey you designed next to the
one customers actually took, a list of touchpoints without an owner, and any
additions saved to the workspace.

A touchpoint is any moment of contact: an advert, a review site, the shop window,
the checkout, a delivery, a phone call to support. Some are online, some offline;
some you run, some (like reviews) you only influence.
"""),
    parameters(),
    md(SETUP_MD),
    code(setup("02_touchpoints")),
    md("""
## Step 2 · The inventory

Every touchpoint in the workspace, with its stage, channel and owning team.
"""),
    code('''
out.table(ws.touchpoints, "touchpoints")
ws.touchpoints
'''),
    md("""
## Step 3 · Coverage: stage × channel

Each cell counts the touchpoints you have for one stage on one channel. Empty
cells are highlighted: places where a customer might look for you and find nothing.
"""),
    code('''
if ws.has("touchpoints"):
    fig = jk.coverage_heatmap(ws)
    display(out.show(fig, "coverage_heatmap", title="Touchpoints per stage and channel",
               alt="Heat map counting touchpoints for each stage and channel; empty cells marked"))
else:
    print(out.skipped("Coverage heat map skipped: the workspace has no touchpoints yet."))
'''),
    md("""
**How to read it:** not every empty cell is a problem - a bike workshop needs no
app at the awareness stage. Look for stages with only one channel (a single point
of failure) and for channels your personas prefer that have no touchpoint.
"""),
    md("""
## Step 4 · Designed versus observed

Is the journey you designed the one customers take? The stages as you drew them,
next to what the event data shows: the share of customers reaching each stage and
the most common paths that leave the map.
"""),
    code('''
if ws.has("events"):
    fig = jk.designed_vs_observed(ws)
    display(out.show(fig, "designed_vs_observed", title="Designed versus observed journey",
               alt="Stages as designed next to the share of customers observed reaching each stage"))
else:
    print(out.skipped("Designed versus observed skipped: the workspace has no events table."))
'''),
    md("""
## Step 5 · Gaps and owners

A touchpoint without an owner is one nobody improves. This table lists them.
"""),
    code('''
unowned = ws.touchpoints[ws.touchpoints["owner"].isna()] if ws.has("touchpoints") else ws.touchpoints
out.table(unowned, "touchpoints_without_owner")
unowned if unowned is not None and len(unowned) else print("Every touchpoint has an owner.")
'''),
    your_turn("""
For each touchpoint without an owner, agree in the room which team takes it. Then
pick the emptiest stage in the heat map and name one touchpoint you could add."""),
    md("""
## Step 6 · Edit the inventory

Add touchpoints and change stage, channel, owner, online/offline, the personas
concerned (blank means everyone) and the workshop's emotion score (-2 very
unhappy … +2 delighted). Stage, channel and owner offer the choices from
`journey.yaml`. Every change is saved at once; the previous file is kept.
"""),
    code('''
jk.touchpoint_editor(ws) if interactive else ws.touchpoints
'''),
    md("""
**Next:** `03_pain_points.ipynb` - where along these touchpoints customers struggle.
"""),
]


# --------------------------------------------------------------------------- 03


NB03 = [
    md("""
# 03 · Pain points and opportunities

**The question:** where do customers struggle, and which fixes should we make first?

**At the end you will have:** the emotion curve along the journey, one ranked list
of pain points and opportunities - from your workshop and discovered in comments and
support tickets - each with evidence, an impact/effort chart, the top problems per stage, your team's scores
saved in the workspace, and an action plan file to hand out.

A **pain point** is anything that frustrates, confuses or slows a customer down; an
**opportunity** is a moment you could make better than expected. Ranking matters
because a small business can only fix a few things at a time: fix what hurts many
customers and costs little first (quick wins), plan the big changes.
"""),
    parameters('top: int = 3  # how many pain points to show per stage'),
    md(SETUP_MD),
    code(setup("03_pain_points")),
    md("""
## Step 2 · Listen to the customers

Every comment and support ticket gets a sentiment score (from -1, very negative, to
+1, very positive) and is linked to a stage or touchpoint - directly when the data
says where it came from, otherwise through the keyword themes in `journey.yaml`.
Emails and phone numbers in the texts are masked.
"""),
    code('''
if ws.has("feedback") or ws.has("tickets"):
    voice = jk.analyze_feedback(ws)
    print(f"{len(voice)} texts read; {int(voice['theme'].notna().sum())} matched a theme.")
    display(jk.candidate_themes(voice, top=10))
else:
    print(out.skipped("Voice of the customer skipped: no feedback or tickets table."))
'''),
    md("""
**How to read it:** these are frequent phrases in complaints that none of your themes
covers yet (`negative_only=False` shows phrases from every comment). If one keeps
coming up, add it as a theme in `journey.yaml` - with the touchpoint it belongs to -
so its comments are counted at the right place next time.
"""),
    md("""
## Step 3 · How customers feel along the way

Average sentiment of comments and tickets per stage, and the share of satisfied
survey answers, each with its uncertainty. Where the team scored emotions in the
workshop, that line is drawn too, so you can see where your feeling and the
customers' differ. The low points are where to look for pain points first.
"""),
    code('''
if ws.has("feedback") or ws.has("tickets"):
    curve = jk.emotion_curve(ws)
    out.table(curve, "emotion_curve")
    fig = jk.emotion_curve_chart(curve)
    display(out.show(fig, "emotion_curve", title="Emotion curve along the journey",
               alt="Mean sentiment and CSAT per stage with 95% intervals, workshop emotion dashed"))
else:
    print(out.skipped("Emotion curve skipped: no feedback or tickets table."))
'''),
    md("""
## Step 4 · The inventory with evidence

One table: the workshop's pain points and the ones found in the data. Each has its
ingredients shown - how many customers it touches, how bad it is, what it costs,
how hard it is to fix, how sure we are - and a priority score made from them.
"""),
    code('''
scored = jk.score_pain_points(ws)
out.table(scored, "pain_points")
scored[["id", "title", "stage", "touchpoint_name", "priority", "quadrant", "frequency",
        "severity", "impact", "effort", "confidence", "quotes"]].head(15)
'''),
    md("""
**How to read it:** higher priority = fix sooner. `confidence` is low when only a
few customers mentioned it - worth checking before investing. The quotes are
representative comments, not the only ones.
"""),
    md("""
## Step 5 · Impact against effort

Each dot is one pain point or opportunity. Top left are **quick wins** (big impact,
little effort), top right **major projects**, bottom left **fill-ins**, bottom right
the ones to **reconsider**.
"""),
    code('''
if len(scored):
    fig = jk.impact_effort_matrix(scored)
    display(out.show(fig, "impact_effort", title="Impact against effort",
               alt="Scatter of pain points by effort (x) and impact (y), in four quadrants"))
else:
    print(out.skipped("Impact/effort matrix skipped: no pain points yet (add some in painpoints, or load feedback)."))
'''),
    your_turn("""
Do you agree with the effort of the top three quick wins? If one is harder than
it looks, change its effort in the scoring grid below and run Step 4 again."""),
    md("""
## Step 6 · Top pain points per stage

The biggest few per stage, so each part of the journey gets attention.
"""),
    code('''
top_per_stage = scored.groupby("stage", sort=False).head(top) if len(scored) else scored
out.table(top_per_stage, "top_pain_points_per_stage")
top_per_stage
'''),
    md("""
## Step 7 · Score them as a team

For each pain point set the **effort** (1 = an afternoon, 5 = a project of months),
the **owner** team and the **status**, and, if the room knows better than the data,
**override the severity** (1-5). Each choice is saved to the workspace's
painpoints table immediately, so scheduled runs use it and nothing is lost if the
notebook restarts. "(blank)" leaves the decision to the kit.
"""),
    code('''
jk.painpoint_scorer(ws, scored) if interactive else scored[["id", "title", "effort", "owner", "status", "severity"]].head(15)
'''),
    md("""
## Step 8 · The action plan

The ranked list turned into work: for each item the team, the quadrant, a first
step and the KPI that should move. Hand it out as a spreadsheet; text that looks
like a formula is neutralised, so the file is safe to open.
"""),
    code('''
plan = jk.action_plan(ws)
out.table(plan, "action_plan")
plan
'''),
    your_turn("""
Export the plan for your team: `jk.export_action_plan(plan, "../my-action-plan.xlsx")`.
Agree one quick win each team will finish before the next session."""),
    md("""
**Next:** `04_kpis.ipynb` - how to tell whether the fixes work.
"""),
]


# --------------------------------------------------------------------------- 04


NB04 = [
    md("""
# 04 · KPIs and funnels

**The question:** how many customers make it through each stage, how do they feel
about it, what are they worth - and are these numbers moving the right way?

**At the end you will have:** a scorecard against your targets, the stage funnel
with drop-off by channel and persona, the most common paths, a retention table,
satisfaction scores by stage and persona with their uncertainty, lifetime value
per persona, the purchases to expect next period, and trends across runs.

Numbers from a small business are often based on few answers, so every score here
comes with its sample size (`n`) and, where it makes sense, a range it most likely
lies in (95 % interval).
"""),
    parameters('''
persona: Optional[str] = None  # persona id to show KPIs for; None shows everyone
as_of: Optional[str] = None  # last day to measure, as YYYY-MM-DD; None uses the last date in the data
reports_dir: str = "../reports"  # folder of earlier runs, for trends'''),
    md(SETUP_MD),
    code(setup("04_kpis")),
    md("""
## Step 2 · The scorecard

Each KPI from `journey.yaml` compared with its target: **on target**, **at risk**
(within the warning band) or **off target**.
"""),
    code('''
metrics = jk.workspace_metrics(ws)
out.metrics(metrics)
card = jk.scorecard(metrics, ws.config.kpis)
out.table(card, "scorecard")
card
'''),
    md("""
## Step 3 · The stage funnel

How many customers reach each stage of the journey, from the event log. A customer
counts at the furthest stage they reached after their first-stage event, with no time
limit unless journey.yaml sets one (`defaults: stage_window`, e.g. `90D`).
"""),
    code('''
if ws.has("events"):
    stages = jk.stage_funnel(ws)
    out.table(stages, "stage_funnel")
    fig = jk.funnel_chart(stages)
    display(out.show(fig, "stage_funnel", title="Customers reaching each stage",
               alt="Bar chart of customers reaching each journey stage with conversion rates"))
else:
    print(out.skipped("Stage funnel skipped: the workspace has no events table."))
'''),
    md("""
**How to read it:** the largest drop between two bars is where most customers give
up. That stage's touchpoints and pain points are where to look first.
"""),
    md("""
## Step 4 · Drop-off by channel and persona

The same funnel split by channel and by persona: is the leak the same everywhere?
"""),
    code('''
if ws.has("events"):
    by_channel = jk.stage_funnel(ws, by="channel")
    out.table(by_channel, "stage_funnel_by_channel")
    display(by_channel)
    if ws.has("customers"):
        by_persona = jk.stage_funnel(ws, by="persona")
        out.table(by_persona, "stage_funnel_by_persona")
        display(by_persona)
else:
    print("Drop-off by channel and persona skipped: no events table.")
'''),
    your_turn("""
Which channel or persona loses the most customers at the worst stage? Name one
touchpoint there that you could change."""),
    md("""
## Step 5 · The paths customers take

First the most common whole paths through a visit (a break longer than the session
gap of journey.yaml, `defaults: session_gap`, starts a new visit; 30 minutes unless
set), then which event customers do next after each event, with how often it
happens. Steps your stages do not describe - customers going back, or leaving
("(end)") - are worth discussing.
"""),
    code('''
if ws.has("events"):
    print(f"A new visit starts after {ws.config.defaults.session_gap} without events.")
    top_paths = jk.paths(ws, max_steps=5, top=10)
    out.table(top_paths, "top_paths")
    display(top_paths)
    next_steps = jk.transitions(ws)
    out.table(next_steps, "transitions")
    display(next_steps.head(15))
else:
    print("Paths skipped: no events table.")
'''),
    md("""
## Step 6 · Do customers come back?

Each row is a cohort - the customers who first bought in a given month - and each
column the months after. A cell shows the share of the cohort that bought again in
that month.
"""),
    code('''
if ws.has("orders"):
    cohorts = jk.retention(ws.orders)
    out.table(cohorts, "retention")
    fig = jk.retention_heatmap(cohorts)
    display(out.show(fig, "retention_heatmap", title="Returning customers per monthly cohort",
               alt="Heat map of the share of each monthly cohort that bought again in later months"))
else:
    print(out.skipped("Retention skipped: the workspace has no orders table."))
'''),
    md("""
**How to read it:** read along a row to see one cohort fade; read down a column to
see whether newer cohorts return more often than older ones after the same number
of months.
"""),
    md("""
## Step 7 · Satisfaction by stage and persona

NPS (would they recommend you, -100 to 100), CSAT (share of satisfied answers) and
CES (how easy it was, 1-7) by stage and by persona, each with its interval and
number of answers. Groups with fewer than 30 answers are flagged.
"""),
    code('''
if ws.has("feedback"):
    by_stage = jk.kpi_table(ws.feedback, by="stage", levels={"stage": ws.stage_ids})
    by_persona = jk.kpi_table(ws.feedback, by="persona_id", customers=ws.customers)
    out.table(by_persona, "kpis_by_persona")
    out.table(by_stage, "kpis_by_stage")
    fig = jk.kpi_by_group(by_stage, "csat", title="CSAT by stage", labels=ws.labels("stage"))
    display(out.show(fig, "csat_by_stage", title="CSAT by stage",
               alt="CSAT per journey stage with 95% intervals"))
    display(by_stage)
    display(by_persona)
else:
    print(out.skipped("Satisfaction KPIs skipped: the workspace has no feedback table."))
'''),
    md("""
**How to read it:** when the intervals of two stages overlap a lot, the difference
between them may be chance. Small groups (flagged) need more answers before you act.
"""),
    md("""
### Explore with filters

Choose a persona, a channel or a period and the satisfaction table follows. (In a
scheduled run this shows the table for the `persona` setting instead.)
"""),
    code('''
if not ws.has("feedback"):
    print("Filters skipped: no feedback table.")
elif interactive:
    display(jk.filter_bar(ws, persona=persona,
                          view=lambda bar: jk.kpi_table(bar.filtered("feedback"), by="stage")))
elif persona is not None:
    display(jk.kpi_table(ws.feedback, by=["persona_id", "stage"], customers=ws.customers)
            .query("persona_id == @persona"))
'''),
    md("""
## Step 8 · What customers are worth

Customer lifetime value (CLV): what a customer brings in over their time with you.
The simple version multiplies average order value, purchases per year and years a
customer stays. The model version (BG/NBD with Gamma-Gamma) also estimates how
likely each customer is still active and how many purchases to expect.
"""),
    code('''
if ws.has("orders"):
    simple = jk.historical_clv(ws.orders, currency=ws.config.currency)
    print(simple.formula)
    display(jk.persona_cards(ws)[["name", "n_customers", "share_revenue", "clv"]])
    summary = jk.rfm_summary(ws.orders, observation_end=as_of)
    model = jk.fit_bgnbd(summary)
    expected = model.expected_purchases(4, summary["frequency"], summary["recency"], summary["T"])
    print(f"Expected purchases in the next 4 weeks: {expected.sum():.0f} "
          f"from {len(summary)} customers")
else:
    print(out.skipped("Lifetime value skipped: the workspace has no orders table."))
'''),
    your_turn("""
If you kept 5 % more customers a year, how much would lifetime value change?
Which pain point from notebook 03 would do most for that?"""),
    md("""
## Step 9 · Trends across runs

Every scheduled run saves its KPIs. Here they are over time, with the targets.
"""),
    code('''
history = jk.kpi_history(reports_dir)
out.table(history, "kpi_history")
if len(history):
    fig = jk.kpi_trend(history, ws.config.kpis)
    display(out.show(fig, "kpi_trend", title="KPIs over time", alt="Line chart of each KPI per run with targets"))
else:
    print("No earlier runs yet: trends appear after the second scheduled run.")
'''),
    md("""
**Next:** `05_journey_report.ipynb` - everything on one page.
"""),
]


# --------------------------------------------------------------------------- 05


NB05 = [
    md("""
# 05 · The journey report

**The question:** what does our customers' journey look like today, what should we
fix first, and what has changed since the last time we looked?

**At the end you will have:** the journey map (stages, touchpoints, emotions, pain
points, owners), the KPI scorecard, the top priorities and a list of what changed
since the last run. The emotion curve is in `03_pain_points`, the designed journey
next to the observed one in `02_touchpoints`; the report of a scheduled run shows
them with the map.

A journey map is only useful if it stays true. Re-run this notebook - or let
`journeykit run` do it on a schedule - whenever new data arrives, and bring the
latest report to your team meeting.
"""),
    parameters('''
persona: Optional[str] = None  # persona id to draw the map for; None draws it for all personas
as_of: Optional[str] = None  # last day to measure, as YYYY-MM-DD; None uses the last date in the data
reports_dir: str = "../reports"  # folder of earlier runs, for "what changed"'''),
    md(SETUP_MD),
    code(setup("05_journey_report")),
    md("""
## Step 2 · The journey map

Columns are your stages. From top to bottom: what customers want and do, the
touchpoints by channel (online and offline), the emotion curve (from feedback, with
its uncertainty band; the workshop's own estimate dashed), pain points coloured by
severity, opportunities, the key number per stage, and the teams behind the scenes.
"""),
    code('''
fig = jk.journey_map(ws, persona=persona)
display(out.show(fig, "journey_map", title="Customer journey map",
           alt="Journey map with stages as columns and lanes for goals, touchpoints, emotions, pain points, KPIs and owners"))
'''),
    your_turn("""
Print the map on A3, pin it up, and let everyone add sticky notes for what is
missing. Add what you agree on to the workspace in notebooks 02 and 03."""),
    md("""
## Step 3 · The scorecard
"""),
    code('''
metrics = jk.workspace_metrics(ws)
card = jk.scorecard(metrics, ws.config.kpis)
out.table(card, "scorecard")
card
'''),
    md("""
## Step 4 · Top priorities

The highest-ranked items of the action plan, with the team that owns each.
"""),
    code('''
plan = jk.action_plan(ws)
out.table(plan, "top_priorities")
plan.head(5)
'''),
    md("""
## Step 5 · What changed since the last run

Each KPI now against the previous run, and whether the change is bigger than its
uncertainty - so a wobble from a handful of answers is not mistaken for progress.
"""),
    code('''
previous = jk.previous_metrics(reports_dir)
changes = jk.what_changed(previous, metrics)
out.table(changes, "what_changed")
changes if previous is not None else print("This is the first run: nothing to compare with yet.")
'''),
    your_turn("""
Pick the one change you want to see in this table next month. Who owns it, and
what will they do this week?"""),
    md("""
## Step 6 · What the numbers mean

Every number in this report follows a stated definition - how a funnel counts
customers, what counts as a promoter, how priorities are scored. The table lists them,
with your workspace's settings filled in, and the report prints it in its data notes.
"""),
    code('''
definitions = jk.semantics(ws)
out.table(definitions, "semantics")
definitions
'''),
]


NOTEBOOK_CELLS = {
    "00_start_here": NB00,
    "01_personas": NB01,
    "02_touchpoints": NB02,
    "03_pain_points": NB03,
    "04_kpis": NB04,
    "05_journey_report": NB05,
}


def build(name: str, cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:2]}-{index:02d}"
    return nb


def main(argv: list[str]) -> int:
    NOTEBOOKS.mkdir(exist_ok=True)
    for name, cells in NOTEBOOK_CELLS.items():
        nb = build(name, cells)
        nbformat.validate(nb)
        nbformat.write(nb, NOTEBOOKS / f"{name}.ipynb")
    print(f"wrote {len(NOTEBOOK_CELLS)} notebooks to {NOTEBOOKS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
