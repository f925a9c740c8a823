# %% [markdown]
# # 01 · Personas
#
# **The question:** who are our customers - and do the personas we wrote down match
# what the data shows?
#
# **At the end you will have:** one card per persona with your team's words (goals,
# frustrations, favourite channels) next to the numbers (share of customers and
# revenue, lifetime value, NPS, biggest pain point), segments the data suggests, and
# personas edited and saved in the workspace.
#
# A persona is a short, concrete portrait of one kind of customer: who they are,
# what they want, what annoys them, how they like to reach you. Good personas mix
# three kinds of knowledge - facts about people (age, place, job), what they think
# and care about, and what they actually do.

# %% tags=["parameters"]
import os

workspace = os.environ.get("JOURNEYKIT_WORKSPACE", "../data/sample")  # folder with your journey files; `journeykit lab FOLDER` sets it for every notebook (relative to notebooks/, or absolute)
interactive = True  # show editing widgets; False shows static tables and figures only
output_dir = None  # folder where a scheduled run saves figures, tables and metrics; None saves nothing
on_bad_rows = "strict"  # strict stops at bad rows; quarantine sets them aside and counts them
persona = None  # persona id to look at closely; None shows all personas

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
out = jk.Outputs(output_dir, notebook="01_personas")
print(f"{ws.config.business}: workspace {ws.path}")

# %% [markdown]
# ## Step 2 · The persona cards
#
# Each row is one persona: the words your team wrote, then what the data says about
# the customers assigned to it.

# %% jupyter={"source_hidden": true}
if ws.has("personas"):
    cards = jk.persona_cards(ws)
    out.table(cards, "persona_cards")
    shown = cards if persona is None else cards[cards["id"] == persona]
    card_figure = jk.persona_card_figure(shown, currency=ws.config.currency)
    display(out.show(card_figure, "persona_cards", title="Persona cards",
               alt="One card per persona: quote, goals, frustrations, channels and their data"))
else:
    print(out.skipped("Persona cards skipped: no personas yet - add the first one with the editor below."))

# %% [markdown]
# **How to read it:** `share_customers` and `share_revenue` are between 0 and 1. A
# persona with a small share of customers but a large share of revenue is worth
# extra care. `clv` is the average value of one of its customers so far, in your
# currency; `nps` runs from -100 to 100 and `nps_n` says how many answers it rests on -
# treat anything below about 30 answers as a hint, not a fact. `top_pain_point` is
# the highest-ranked problem on a touchpoint this persona uses.

# %% [markdown]
# ## Step 3 · The personas in numbers
#
# The same figures as a chart, so a room can compare personas at a glance.

# %% jupyter={"source_hidden": true}
assigned = ws.has("customers") and bool(ws.customers["persona_id"].notna().any())
by_persona = (jk.kpi_table(ws.feedback, by="persona_id", customers=ws.customers)
              if assigned and ws.has("feedback") else None)
if by_persona is None:
    print(out.skipped("Persona figures skipped: they need feedback and customers assigned to personas."))
elif not (by_persona.query("kpi == 'nps'")["n"] > 0).any():
    print(out.skipped("NPS per persona skipped: no NPS answers from customers with a persona."))
else:
    fig = jk.kpi_by_group(by_persona, "nps", title="Net Promoter Score per persona",
                          labels=ws.labels("persona"))
    display(out.show(fig, "persona_nps", title="Net Promoter Score per persona",
                     alt="NPS of each persona's customers with 95% intervals; small groups drawn hollow"))

# %% [markdown]
# > **Your turn.** Which persona brings in more revenue than its share of customers suggests? What
# does that persona want that the others do not?

# %% [markdown]
# ## Step 4 · What the data suggests
#
# Personas start as the team's best guess. Here the kit groups customers purely by
# behaviour - how recently and how often they buy, how much they spend, which
# channels they use, which stages of the journey they reach and how regularly they
# buy - and describes each group in words. Each group is then matched
# to the persona it most resembles.

# %% jupyter={"source_hidden": true}
if ws.has("customers") and (ws.has("orders") or ws.has("events")):
    segments = jk.suggest_segments(ws)
    out.table(segments.segments, "segments")
    display(segments.segments[["segment", "n_customers", "description",
                               "closest_persona_name", "evidence"]])
else:
    print(out.skipped("Segment suggestions skipped: they need customers plus orders or events."))

# %% [markdown]
# **How to read it:** a segment that matches a persona well is evidence for that
# persona. A large segment matching none of them may be a customer group nobody has
# talked about yet; a persona that no segment resembles may be a wish rather than a
# group you actually serve.

# %% [markdown]
# > **Your turn.** Is there a segment without a persona? Give it a name, a quote and one goal, and
# add it with the editor below.

# %% [markdown]
# ## Step 5 · Edit the personas
#
# Pick a persona, change any field, and it is saved to the workspace straight away
# (the previous version of the file is kept). In a scheduled run this step shows the
# personas as a table instead.

# %% jupyter={"source_hidden": true}
jk.persona_editor(ws) if interactive else ws.personas

# %% [markdown]
# **Next:** `02_touchpoints.ipynb` - where these people meet your business.
