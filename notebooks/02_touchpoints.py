# %% [markdown]
# # 02 · Touchpoints
#
# **The question:** where, at each stage of the journey, does a customer meet our
# business - and who looks after each of those moments?
#
# **At the end you will have:** the touchpoint inventory, a stage × channel map of
# where you are present and where you are not, the journey you designed next to the
# one customers actually took, a list of touchpoints without an owner, and any
# additions saved to the workspace.
#
# A touchpoint is any moment of contact: an advert, a review site, the shop window,
# the checkout, a delivery, a phone call to support. Some are online, some offline;
# some you run, some (like reviews) you only influence.

# %% tags=["parameters"]
import os

workspace = os.environ.get("JOURNEYKIT_WORKSPACE", "../data/sample")  # folder with your journey files; `journeykit lab FOLDER` sets it for every notebook (relative to notebooks/, or absolute)
interactive = True  # show editing widgets; False shows static tables and figures only
output_dir = None  # folder where a scheduled run saves figures, tables and metrics; None saves nothing
on_bad_rows = "strict"  # strict stops at bad rows; quarantine sets them aside and counts them

# %% [markdown]
# ## Step 1 · Open the workspace
#
# The workspace is the folder holding your journey files. Opening it checks every
# file; if something is wrong you get a table saying which file, row and column, and
# what was expected. Fix the file in your spreadsheet program and run this cell again.

# %% jupyter={"source_hidden": true}
import pandas as pd
from IPython.display import display

import journeykit as jk

jk.setup_notebook()  # charts as pictures, tables from data as plain text
ws = jk.load_workspace(workspace, on_bad_rows=on_bad_rows)
out = jk.Outputs(output_dir, notebook="02_touchpoints")
print(f"{ws.config.business}: workspace {ws.path}")

# %% [markdown]
# ## Step 2 · The inventory
#
# Every touchpoint in the workspace, with its stage, channel and owning team.

# %% jupyter={"source_hidden": true}
out.table(ws.touchpoints, "touchpoints")
ws.touchpoints

# %% [markdown]
# ## Step 3 · Coverage: stage × channel
#
# Each cell counts the touchpoints you have for one stage on one channel. Empty
# cells are highlighted: places where a customer might look for you and find nothing.

# %% jupyter={"source_hidden": true}
if ws.has("touchpoints"):
    fig = jk.coverage_heatmap(ws)
    display(out.show(fig, "coverage_heatmap", title="Touchpoints per stage and channel",
               alt="Heat map counting touchpoints for each stage and channel; empty cells marked"))
else:
    print(out.skipped("Coverage heat map skipped: the workspace has no touchpoints yet."))

# %% [markdown]
# **How to read it:** not every empty cell is a problem - a bike workshop needs no
# app at the awareness stage. Look for stages with only one channel (a single point
# of failure) and for channels your personas prefer that have no touchpoint.

# %% [markdown]
# ## Step 4 · Designed versus observed
#
# Is the journey you designed the one customers take? The stages as you drew them,
# next to what the event data shows: the share of customers reaching each stage and
# the most common paths that leave the map.

# %% jupyter={"source_hidden": true}
if ws.has("events") and ws.config.event_stage:
    fig = jk.designed_vs_observed(ws)
    display(out.show(fig, "designed_vs_observed", title="Designed versus observed journey",
               alt="Stages as designed next to the share of customers observed reaching each stage"))
else:
    print(out.skipped("Designed versus observed skipped: " + ("no stage in journey.yaml lists its events yet "
                      "(stages: events:)." if ws.has("events") else "the workspace has no events table.")))

# %% [markdown]
# ## Step 5 · Gaps and owners
#
# A touchpoint without an owner is one nobody improves. This table lists them.

# %% jupyter={"source_hidden": true}
touchpoints = ws.touchpoints
owners = (touchpoints["owner"].astype("string").str.strip() if "owner" in touchpoints
          else pd.Series(pd.NA, index=touchpoints.index, dtype="string"))
unowned = touchpoints[owners.isna() | (owners == "")]
out.table(unowned, "touchpoints_without_owner")
if len(touchpoints) and unowned.empty:
    print("Every touchpoint has an owner.")
elif len(touchpoints) and len(unowned) == len(touchpoints):
    print(f"None of the {len(touchpoints)} touchpoints has an owner yet.")
unowned if len(unowned) else None

# %% [markdown]
# > **Your turn.** For each touchpoint without an owner, agree in the room which team takes it. Then
# pick the emptiest stage in the heat map and name one touchpoint you could add.

# %% [markdown]
# ## Step 6 · Edit the inventory
#
# Add touchpoints and change stage, channel, owner, online/offline, the personas
# concerned (blank means everyone) and the workshop's emotion score (-2 very
# unhappy … +2 delighted). Stage, channel and owner offer the choices from
# `journey.yaml`. Every change is saved at once; the previous file is kept.

# %% jupyter={"source_hidden": true}
jk.touchpoint_editor(ws) if interactive else ws.touchpoints

# %% [markdown]
# **Next:** `03_pain_points.ipynb` - where along these touchpoints customers struggle.
