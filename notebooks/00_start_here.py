# %% [markdown]
# # 00 · Start here
#
# **The question:** is everything ready, and what can the kit tell you with the data you have today?
#
# **At the end you will have:** a checked computer, a checked workspace, a list of the
# analyses that will run (and of those that will be skipped, with the reason), and a
# plan for your first mapping session.
#
# This kit follows one customer journey map from first draft to a living document:
#
# 1. **Personas** (`01_personas`) - who your customers are, in the words of your team and in the numbers.
# 2. **Touchpoints** (`02_touchpoints`) - every place a customer meets your business, online and offline, per stage, with an owning team.
# 3. **Pain points** (`03_pain_points`) - where customers struggle or where you could delight them, ranked so you fix the right things first.
# 4. **KPIs** (`04_kpis`) - how many customers get through each stage, how satisfied they are, what they are worth.
# 5. **The journey report** (`05_journey_report`) - the map, the scorecard, the top priorities and what changed since last time.
#
# Work through the notebooks in order the first time. Afterwards a scheduled run
# (`journeykit run`) refreshes all of them from your latest data.

# %% [markdown]
# ## The settings of this notebook
#
# The next cell holds the settings. Change `workspace` to point at your own folder.
# A scheduled run fills them in for you, so leave the names as they are.

# %% tags=["parameters"]
import os

workspace = os.environ.get("JOURNEYKIT_WORKSPACE", "../data/sample")  # folder with your journey files; `journeykit lab FOLDER` sets it for every notebook (relative to notebooks/, or absolute)
interactive = True  # show editing widgets; False shows static tables and figures only
output_dir = None  # folder where a scheduled run saves figures, tables and metrics; None saves nothing
on_bad_rows = "strict"  # strict stops at bad rows; quarantine sets them aside and counts them

# %% [markdown]
# ## Step 1 · Check the computer
#
# The kit needs a handful of Python packages. The table lists the versions installed;
# if a cell further down fails with an import error, this is the table to send to
# whoever set up the computer.

# %% jupyter={"source_hidden": true}
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

# %% [markdown]
# ## Step 2 · Check the workspace
#
# A workspace is a folder: `journey.yaml` (your stages, channels, teams and targets)
# plus one file per table - personas, touchpoints, and any of pain points, customers,
# events, orders, feedback and support tickets. Each table can be a CSV file, a sheet
# in `workspace.xlsx`, or a Parquet file for large event logs.
#
# The check below reads everything and lists what it found wrong. **Errors** stop
# the analyses; **warnings** are worth a look but do not stop anything.

# %% jupyter={"source_hidden": true}
problems = jk.problems_frame(jk.validate_workspace(workspace))
out.table(problems, "workspace_problems")
problems if len(problems) else print("No problems found.")

# %% [markdown]
# **How to read it:** each line names the file, the row as your spreadsheet shows it
# (the header is row 1), the column, the value found and what was expected. Fix the
# errors in the file, save, and run the cell again.

# %% [markdown]
# ## Step 3 · Which data is there
#
# Only `journey.yaml`, personas and touchpoints are required. Everything else makes the
# map richer: events show what people actually did, orders what they spent, feedback
# and tickets how they felt.

# %% jupyter={"source_hidden": true}
ws = jk.load_workspace(workspace, on_bad_rows=on_bad_rows)
present = ws.summary()
out.table(present, "data_present")
print(f"{ws.config.business}: {len(ws.config.stages)} stages, {len(ws.config.channels)} channels")
present

# %% [markdown]
# ## Step 4 · Which analyses will run
#
# Each analysis needs certain tables. When one is missing, that analysis is skipped
# with a short note in its notebook and in the report - never an error. The table
# below tells you in advance, so you know which export to ask for next.

# %% jupyter={"source_hidden": true}
plan = ws.analysis_plan()
for row in plan[~plan["will_run"]].itertuples():
    out.note("skipped", f"{row.analysis} (notebook {row.notebook}): {row.why}")
plan

# %% [markdown]
# **How to read it:** `will_run` False is not a failure; `why` names the missing data. It tells you which
# data would unlock that analysis. Most small businesses can export orders from the
# till or web shop and feedback from their survey tool in a few minutes.

# %% [markdown]
# > **Your turn.** Look at the rows marked False. Which export could you get this week, and from
# whom? Write the answer on a sticky note for the action plan.

# %% [markdown]
# ## How the kit fits together
#
# ```
# your files (workspace folder) ──▶ notebooks 01-05 ──▶ figures, tables, action plan
#         ▲                              │
#         │ widget edits saved at once   ▼
#    workshop, spreadsheets        journeykit run ──▶ reports/<run>/index.html
#                                                      (the refreshed journey report)
# ```
#
# * You and your team edit the workspace - in a spreadsheet, or with the widgets in
#   the notebooks. Every widget edit is written to the file immediately, and the
#   previous version is kept.
# * A scheduled run never changes your files; it writes a new report folder each time
#   and compares the numbers with the previous run, so the map stays current.
#
# ## Start your own journey
#
# On the command line, make a blank workspace and open its spreadsheet:
#
# ```
# journeykit new my-shop
# ```
#
# That creates `my-shop/` with a `journey.yaml` to edit (business name, stages,
# channels, teams, targets) and a `workspace.xlsx` whose sheets have drop-downs for
# stages, channels and owners. Then set `workspace = "../my-shop"` (or the full path)
# in the settings cell of each notebook.

# %% [markdown]
# > **Your turn.** Run `journeykit new my-shop` in a terminal (or `jk.new_workspace("../my-shop")` in a
# new cell), open `my-shop/journey.yaml`, and replace the example stages with the four
# or five steps your own customers go through.

# %% [markdown]
# ## A workshop with this kit
#
# | time | what | notebook |
# | --- | --- | --- |
# | 0:00 | Why we map; agree the stages | 00 |
# | 0:15 | Personas: who are we serving? | 01 |
# | 0:40 | Touchpoints per stage; who owns each | 02 |
# | 1:05 | Pain points and opportunities; score them | 03 |
# | 1:35 | The numbers: funnel, satisfaction, value | 04 |
# | 1:50 | The map, top priorities, who does what next | 05 |
#
# The facilitator's guide (`docs/workshop.md`) has a 2-hour and a half-day version,
# roles, and exercises for a blank workspace.
#
# **Next:** open `01_personas.ipynb`.
