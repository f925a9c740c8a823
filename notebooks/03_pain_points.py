# %% [markdown]
# # 03 · Pain points and opportunities
#
# **The question:** where do customers struggle, and which fixes should we make first?
#
# **At the end you will have:** the emotion curve along the journey, one ranked list
# of pain points and opportunities - from your workshop and discovered in comments and
# support tickets - each with evidence, an impact/effort chart, the top problems per stage, your team's scores
# saved in the workspace, and an action plan file to hand out.
#
# A **pain point** is anything that frustrates, confuses or slows a customer down; an
# **opportunity** is a moment you could make better than expected. Ranking matters
# because a small business can only fix a few things at a time: fix what hurts many
# customers and costs little first (quick wins), plan the big changes.

# %% tags=["parameters"]
import os

workspace = os.environ.get("JOURNEYKIT_WORKSPACE", "../data/sample")  # folder with your journey files; `journeykit lab FOLDER` sets it for every notebook (relative to notebooks/, or absolute)
interactive = True  # show editing widgets; False shows static tables and figures only
output_dir = None  # folder where a scheduled run saves figures, tables and metrics; None saves nothing
on_bad_rows = "strict"  # strict stops at bad rows; quarantine sets them aside and counts them
top = 3  # how many pain points to show per stage

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
out = jk.Outputs(output_dir, notebook="03_pain_points")
print(f"{ws.config.business}: workspace {ws.path}")

# %% [markdown]
# ## Step 2 · Listen to the customers
#
# Every comment and support ticket gets a sentiment score (from -1, very negative, to
# +1, very positive) and is linked to the touchpoint it is about: the `about` column
# when your data has one, otherwise the keyword themes in `journey.yaml`, otherwise the
# place the survey was sent (`asked_at`; satisfaction per stage is counted there).
# Each text's language is detected first: English is scored with VADER, Portuguese
# with LeIA; a text in another language is not guessed at - the rating given with it
# (CSAT stars, else NPS) stands in, and a text with neither is counted as not scored.
# Emails and phone numbers in the texts are masked.

# %% jupyter={"source_hidden": true}
if ws.has("feedback") or ws.has("tickets"):
    voice = jk.voice_scores(ws)
    print(f"{len(voice)} texts read; {int(voice['theme'].notna().sum())} matched a theme.")
    languages = voice["language"].astype("object").fillna("undetermined").value_counts()
    print("Languages: " + ", ".join(f"{code} {n}" for code, n in languages.items()))
    methods = voice["method"].value_counts()
    print("Scored by: " + ", ".join(f"{name} {n}" for name, n in methods.items()))
    display(jk.candidate_themes(voice, top=10))
else:
    print(out.skipped("Voice of the customer skipped: no feedback or tickets table."))

# %% [markdown]
# **How to read it:** these are frequent phrases in complaints that none of your themes
# covers yet (`negative_only=False` shows phrases from every comment). If one keeps
# coming up, add it as a theme in `journey.yaml` - with the touchpoint it belongs to -
# so its comments are counted at the right place next time.

# %% [markdown]
# ## Step 3 · How customers feel along the way
#
# Average sentiment of comments and tickets per stage (the `methods` column says how
# many were scored by VADER, LeIA or their rating, `n_unscored` how many could not be),
# and the share of satisfied survey answers, each with its uncertainty. Where the team scored emotions in the
# workshop, that line is drawn too, so you can see where your feeling and the
# customers' differ. The low points are where to look for pain points first.

# %% jupyter={"source_hidden": true}
if ws.has("feedback") or ws.has("tickets"):
    curve = jk.emotion_curve(ws)
    out.table(curve, "emotion_curve")
    fig = jk.emotion_curve_chart(curve)
    display(out.show(fig, "emotion_curve", title="Emotion curve along the journey",
               alt="Mean sentiment and CSAT per stage with 95% intervals, workshop emotion dashed"))
else:
    print(out.skipped("Emotion curve skipped: no feedback or tickets table."))

# %% [markdown]
# ## Step 4 · The inventory with evidence
#
# First, the room's own list. Add each pain point or idea you heard today: where it
# happens (a touchpoint), whether it is a pain or an opportunity, and what happens, in
# the customer's words. Each row is saved to the workspace as you type.

# %% jupyter={"source_hidden": true}
jk.painpoint_editor(ws) if interactive else ws.painpoints

# %% [markdown]
# Then one table: the workshop's pain points and the ones found in the data. Each has its
# ingredients shown - how many customers it touches, how bad it is, what it costs,
# how hard it is to fix, how sure we are - and a priority score made from them. (Added a
# row above? Run this cell again.)

# %% jupyter={"source_hidden": true}
scored = jk.score_pain_points(ws)
out.table(scored, "pain_points")
scored[["id", "title", "stage", "touchpoint_name", "priority", "quadrant", "frequency",
        "severity", "impact", "effort", "confidence", "quotes"]].head(15)

# %% [markdown]
# **How to read it:** higher priority = fix sooner. `confidence` is low when only a
# few customers mentioned it - worth checking before investing. The quotes are
# representative comments, not the only ones.

# %% [markdown]
# ## Step 5 · Impact against effort
#
# Each dot is one pain point or opportunity. Top left are **quick wins** (big impact,
# little effort), top right **major projects**, bottom left **fill-ins**, bottom right
# the ones to **reconsider**.

# %% jupyter={"source_hidden": true}
if len(scored):
    fig = jk.impact_effort_matrix(scored)
    display(out.show(fig, "impact_effort", title="Impact against effort",
               alt="Scatter of pain points by effort (x) and impact (y), in four quadrants"))
else:
    print(out.skipped("Impact/effort matrix skipped: no pain points yet (add some in painpoints, or load feedback)."))

# %% [markdown]
# > **Your turn.** Do you agree with the effort of the quick wins at the top? If one is harder than
# it looks, change its effort in the scoring grid below and run Step 4 again.

# %% [markdown]
# ## Step 6 · Top pain points per stage
#
# The biggest few per stage, so each part of the journey gets attention.

# %% jupyter={"source_hidden": true}
top_per_stage = scored.groupby("stage", sort=False).head(top) if len(scored) else scored
out.table(top_per_stage, "top_pain_points_per_stage")
top_per_stage[["stage", "title", "touchpoint_name", "priority", "quadrant", "impact", "effort", "owner"]]

# %% [markdown]
# ## Step 7 · Score them as a team
#
# For each pain point set the **effort** (1 = an afternoon, 5 = a project of months),
# the **owner** team and the **status**, and, if the room knows better than the data,
# **override the severity** (1-5). Each choice is saved to the workspace's
# painpoints table immediately, so scheduled runs use it and nothing is lost if the
# notebook restarts. "(blank)" leaves the decision to the kit.

# %% jupyter={"source_hidden": true}
jk.painpoint_scorer(ws, scored) if interactive else scored[["id", "title", "effort", "owner", "status", "severity"]].head(15)

# %% [markdown]
# ## Step 8 · The action plan
#
# The ranked list turned into work: for each item the team, the quadrant, a first
# step and the KPI that should move. Hand it out as a spreadsheet; text that looks
# like a formula is neutralised, so the file is safe to open.

# %% jupyter={"source_hidden": true}
plan = jk.action_plan(ws)
out.table(plan, "action_plan")
plan

# %% [markdown]
# > **Your turn.** Export the plan for your team: `jk.export_action_plan(plan, "../my-action-plan.xlsx")`.
# Agree one quick win each team will finish before the next session.

# %% [markdown]
# **Next:** `04_kpis.ipynb` - how to tell whether the fixes work.
