# %% [markdown]
# # 05 · The journey report
#
# **The question:** what does our customers' journey look like today, what should we
# fix first, and what has changed since the last time we looked?
#
# **At the end you will have:** the journey map (stages, touchpoints, emotions, pain
# points, owners), the KPI scorecard, the top priorities and a list of what changed
# since the last run. The emotion curve is in `03_pain_points`, the designed journey
# next to the observed one in `02_touchpoints`; the report of a scheduled run shows
# them with the map.
#
# A journey map is only useful if it stays true. Re-run this notebook - or let
# `journeykit run` do it on a schedule - whenever new data arrives, and bring the
# latest report to your team meeting.

# %% tags=["parameters"]
import os

workspace = os.environ.get("JOURNEYKIT_WORKSPACE", "../data/sample")  # folder with your journey files; `journeykit lab FOLDER` sets it for every notebook (relative to notebooks/, or absolute)
interactive = True  # show editing widgets; False shows static tables and figures only
output_dir = None  # folder where a scheduled run saves figures, tables and metrics; None saves nothing
on_bad_rows = "strict"  # strict stops at bad rows; quarantine sets them aside and counts them
persona = None  # persona id to draw the map for; None draws it for all personas
as_of = None  # last day to measure, as YYYY-MM-DD; None uses the last date in the data
reports_dir = "../reports"  # folder of earlier runs, for "what changed"

# %% [markdown]
# ## Step 1 · Open the workspace
#
# The workspace is the folder holding your journey files. Opening it checks every
# file; if something is wrong you get a table saying which file, row and column, and
# what was expected. Fix the file in your spreadsheet program and run this cell again.

# %% jupyter={"source_hidden": true}
from IPython.display import display

import journeykit as jk

jk.setup_notebook()  # charts as pictures, tables from data as plain text
ws = jk.load_workspace(workspace, on_bad_rows=on_bad_rows)
out = jk.Outputs(output_dir, notebook="05_journey_report")
print(f"{ws.config.business}: workspace {ws.path}")

# %% [markdown]
# ## Step 2 · The journey map
#
# Columns are your stages. From top to bottom: what customers want and do, the
# touchpoints by channel (online and offline), the emotion curve (from feedback, with
# its uncertainty band; the workshop's own estimate dashed), pain points coloured by
# severity, opportunities, the key number per stage, and the teams behind the scenes.

# %% jupyter={"source_hidden": true}
fig = jk.journey_map(ws, persona=persona)
display(out.show(fig, "journey_map", title="Customer journey map",
           alt="Journey map with stages as columns and lanes for goals, touchpoints, emotions, pain points, KPIs and owners"))

# %% [markdown]
# > **Your turn.** Print the map on A3, pin it up, and let everyone add sticky notes for what is
# missing. Add what you agree on to the workspace in notebooks 02 and 03.

# %% [markdown]
# ## Step 3 · The scorecard

# %% jupyter={"source_hidden": true}
metrics = jk.workspace_metrics(ws)
card = jk.scorecard(metrics, ws.config.kpis)  # the run's report takes it from 04_kpis
card

# %% [markdown]
# ## Step 4 · Top priorities
#
# The highest-ranked items of the action plan, with the team that owns each.

# %% jupyter={"source_hidden": true}
plan = jk.action_plan(ws)  # the run's report takes it from 03_pain_points
plan.head(5)

# %% [markdown]
# ## Step 5 · What changed since the last run
#
# Each KPI now against the previous run, and whether the change is bigger than its
# uncertainty - so a wobble from a handful of answers is not mistaken for progress.

# %% jupyter={"source_hidden": true}
previous = jk.previous_metrics(reports_dir)
changes = jk.what_changed(previous, metrics)
out.table(changes, "what_changed")
changes if previous is not None else print("This is the first run: nothing to compare with yet.")

# %% [markdown]
# > **Your turn.** Pick the one change you want to see in this table next month. Who owns it, and
# what will they do this week?

# %% [markdown]
# ## Step 6 · What the numbers mean
#
# Every number in this report follows a stated definition - how a funnel counts
# customers, what counts as a promoter, how priorities are scored. The table lists them,
# with your workspace's settings filled in, and the report prints it in its data notes.

# %% jupyter={"source_hidden": true}
definitions = jk.semantics(ws)
out.table(definitions, "semantics")
for topic, definition in zip(definitions["topic"], definitions["definition"], strict=True):
    print(f"{topic}\n{definition}\n")  # whole: a table would cut long definitions
