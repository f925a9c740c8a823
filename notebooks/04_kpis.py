# %% [markdown]
# # 04 · KPIs and funnels
#
# **The question:** how many customers make it through each stage, how do they feel
# about it, what are they worth - and are these numbers moving the right way?
#
# **At the end you will have:** a scorecard against your targets, the stage funnel
# with drop-off by channel and persona, the most common paths, a retention table,
# satisfaction scores by stage and persona with their uncertainty, lifetime value
# per persona, the purchases to expect next period, and trends across runs - plus
# the list of customers who dropped off at each step, each customer's expected value,
# and the funnel's conversion week by week.
#
# Numbers from a small business are often based on few answers, so every score here
# comes with its sample size (`n`) and, where it makes sense, a range it most likely
# lies in (95 % interval).

# %% tags=["parameters"]
import os

workspace = os.environ.get("JOURNEYKIT_WORKSPACE", "../data/sample")  # folder with your journey files; `journeykit lab FOLDER` sets it for every notebook (relative to notebooks/, or absolute)
interactive = True  # show editing widgets; False shows static tables and figures only
output_dir = None  # folder where a scheduled run saves figures, tables and metrics; None saves nothing
on_bad_rows = "strict"  # strict stops at bad rows; quarantine sets them aside and counts them
persona = None  # persona id to show KPIs for; None shows everyone
as_of = None  # last day to measure, as YYYY-MM-DD; None uses the last date in the data
reports_dir = "../reports"  # folder of earlier runs, for trends

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
out = jk.Outputs(output_dir, notebook="04_kpis")
print(f"{ws.config.business}: workspace {ws.path}")
# the stage analyses need events and stages that list which events belong to them
stage_events = ws.has("events") and bool(ws.config.event_stage)
no_stages = ("the workspace has no events table" if not ws.has("events") else
             "no stage in journey.yaml lists its events yet (stages: events:)")

# %% [markdown]
# ## Step 2 · The scorecard
#
# Each KPI from `journey.yaml` compared with its target: **on target**, **at risk**
# (within the warning band) or **off target**.

# %% jupyter={"source_hidden": true}
metrics = jk.workspace_metrics(ws)
out.metrics(metrics)
card = jk.scorecard(metrics, ws.config.kpis)
out.table(card, "scorecard")
card

# %% [markdown]
# ## Step 3 · The stage funnel
#
# How many customers reach each stage of the journey, from the event log. A customer
# counts at the furthest stage they reached after their first-stage event, with no time
# limit unless journey.yaml sets one (`defaults: stage_window`, e.g. `90D`). The notes
# under the chart say which window was used and how many customers the funnel's rules
# leave out (e.g. a deal won before the first contact); they go to the report's data notes.

# %% jupyter={"source_hidden": true}
if stage_events:
    stages = jk.stage_funnel(ws)
    out.table(stages, "stage_funnel")
    for text in jk.stage_funnel_notes(ws):
        out.note("coverage", text)
        print(text)
    fig = jk.funnel_chart(stages)
    display(out.show(fig, "stage_funnel", title="Customers reaching each stage",
               alt="Bar chart of customers reaching each journey stage with conversion rates"))
else:
    print(out.skipped(f"Stage funnel skipped: {no_stages}."))

# %% [markdown]
# **How to read it:** the largest drop between two bars is where most customers give
# up. That stage's touchpoints and pain points are where to look first.

# %% [markdown]
# ## Step 4 · Drop-off by channel and persona
#
# The same funnel split by channel and by persona: is the leak the same everywhere?

# %% jupyter={"source_hidden": true}
if stage_events:
    by_channel = jk.stage_funnel(ws, by="channel")
    out.table(by_channel, "stage_funnel_by_channel")
    display(by_channel)
    if ws.has("customers"):
        by_persona = jk.stage_funnel(ws, by="persona")
        out.table(by_persona, "stage_funnel_by_persona")
        display(by_persona)
else:
    print(f"Drop-off by channel and persona skipped: {no_stages}.")

# %% [markdown]
# > **Your turn.** Which channel or persona loses the most customers at the worst stage? Name one
# touchpoint there that you could change.

# %% [markdown]
# ## Step 5 · Who dropped off, and when did the funnel break?
#
# The customers who stopped at each step, with their last event, its time and its channel,
# go to `dropouts.csv` in the run folder (one row per customer, the `step` column says
# where they stopped): the list to contact or win back. Here you see only how many there
# are - customer ids stay out of the notebook and the report.
#
# Below it, the funnel's conversion per week in which customers entered it, with its 95 %
# interval: a week where the line falls clearly below the weeks before is when something
# broke. The week with the largest drop is marked.

# %% jupyter={"source_hidden": true}
if stage_events:
    dropouts = jk.stage_dropouts(ws)
    out.customer_list(dropouts, "dropouts")
    display(dropouts.groupby(["step", "stage_name"], sort=True).size().rename("customers dropped off")
            .reset_index())
    trend = jk.funnel_trend(ws)
    if len(trend.weeks):
        fig = jk.funnel_trend_chart(trend)
        display(out.show(fig, "funnel_conversion_trend", title="Funnel conversion per week of entry",
                         alt="Line chart of the weekly share of customers converting through the funnel, "
                             "with its 95% interval, the customers entering each week, and the week of "
                             "the largest drop marked"))
    else:
        print(out.skipped("Funnel over time skipped: fewer than two stages list events."))
else:
    print(out.skipped(f"Drop-off lists skipped: {no_stages}."))

# %% [markdown]
# **How to read it:** a single low week with a wide band may be chance (few customers
# entered); the label of the marked week says whether its fall is beyond noise. Weeks
# drawn grey at the end are still converting.

# %% [markdown]
# ### How long converting takes, and the leakiest step week by week
#
# For the customers who got through the whole funnel: how long they took from the first
# stage to the last (a histogram with the median, mean and 90th percentile) - a long tail
# says a reminder could help. Then the step between two stages that loses the most
# customers, as its own funnel per week of entry: after a fix there, did it convert better?

# %% jupyter={"source_hidden": true}
if stage_events:
    used_stages = [s for s in ws.config.stages if s.events]
    # the funnel to study: the journey's stages; put your own steps here to study another,
    # e.g. funnel_steps, step_names = ["product_view", "add_to_cart", "order_completed"], None
    funnel_steps, step_names = [list(s.events) for s in used_stages], [str(s.name) for s in used_stages]
    if len(funnel_steps) >= 2:
        print(jk.semantics(ws).set_index("topic").loc["Time to convert", "definition"])
        # the stage funnel's window (journey.yaml defaults: stage_window; no limit unless set)
        ttc = jk.time_to_convert(ws, funnel_steps, step_names=step_names, window=ws.config.defaults.stage_window)
        print(f"Window: {ttc.window if ttc.window is not None else 'no limit'}")
        out.table(ttc.histogram, "time_to_convert")
        display(ttc.summary())
        display(out.show(jk.time_to_convert_chart(ttc), "time_to_convert", title="Time to convert",
                         alt="Histogram of how long converted customers took from the first stage to the "
                             "last, with the median, mean and 90th percentile marked"))
        leaks = stages.loc[stages["step"] > 1, "conversion_from_previous"].dropna()
        if len(leaks):
            k = int(stages.loc[leaks.idxmin(), "step"])  # the leakiest step: stage k-1 to stage k
            leak = jk.funnel_trend(ws, funnel_steps[k - 2:k], step_names=step_names[k - 2:k])
            out.table(leak.weeks, "leakiest_step_trend")
            display(out.show(jk.funnel_trend_chart(leak, title=f"{step_names[k - 2]} → {step_names[k - 1]} per week"),
                             "leakiest_step_trend", title="The leakiest step per week of entry",
                             alt="Line chart of the weekly conversion of the funnel step that loses the most "
                                 "customers, with its 95% interval"))
    else:
        print(out.skipped("Time to convert skipped: fewer than two stages list events."))
else:
    print(out.skipped(f"Time to convert skipped: {no_stages}."))

# %% [markdown]
# ## Step 6 · The paths customers take
#
# First the most common whole paths through a visit (a break longer than the session
# gap of journey.yaml, `defaults: session_gap`, starts a new visit; 30 minutes unless
# set), then which event customers do next after each event, with how often it
# happens. Steps your stages do not describe - customers going back, or leaving
# ("(end)") - are worth discussing.

# %% jupyter={"source_hidden": true}
if ws.has("events"):
    gap_minutes = ws.config.defaults.session_gap_delta.total_seconds() / 60
    print(f"A new visit starts after {gap_minutes:,.0f} minutes without events.")
    top_paths = jk.paths(ws, max_steps=5, top=10)
    out.table(top_paths, "top_paths")
    display(top_paths.drop(columns=["events"]))  # "path" spells the same events out
    next_steps = jk.transitions(ws)
    out.table(next_steps, "transitions")
    display(next_steps.head(15))
else:
    print("Paths skipped: no events table.")

# %% [markdown]
# ### What happens after an event, and what led to one
#
# Pick an event and see what customers do next in the same visit (after putting something
# in the cart?), or what they did before it (before a failed payment?). With a goal - the
# events of your last stage - each path shows how often it ends in converting and how
# common it is among the visits that converted and those that did not. The flow charts draw
# the most common paths step by step.

# %% jupyter={"source_hidden": true}
if ws.has("events"):
    seen = next_steps.groupby("source")["count"].sum().sort_values(ascending=False)
    # the events to look around: change them to the ones you care about
    after_event = "add_to_cart" if "add_to_cart" in seen.index else str(seen.index[0])
    before_event = "payment_failed" if "payment_failed" in seen.index else str(seen.index[0])
    listed = [s for s in ws.config.stages if s.events]
    goal = list(listed[-1].events) if listed else None  # converting = reaching the last stage
    print(jk.semantics(ws).set_index("topic").loc["Paths after or before an event", "definition"])
    after = jk.paths_after(ws, after_event, max_steps=3, goal=goal, top=12)
    before = jk.paths_before(ws, before_event, max_steps=3, goal=goal, top=12)
    out.table(after, "paths_after")
    out.table(before, "paths_before")
    display(after.drop(columns="events"))
    display(out.show(jk.path_flow_chart(after, title=f"After {after_event}"), "paths_after",
                     title=f"What customers do after {after_event}",
                     alt=f"Flow chart of the most common steps after {after_event} within a visit"))
    display(before.drop(columns="events"))
    display(out.show(jk.path_flow_chart(before, title=f"Before {before_event}"), "paths_before",
                     title=f"What led to {before_event}",
                     alt=f"Flow chart of the most common steps before {before_event} within a visit"))

# %% [markdown]
# ## Step 7 · Do customers come back?
#
# Each row is a cohort - the customers who first bought in a given month - and each
# column the months after. A cell shows the share of the cohort that bought again in
# that month.

# %% jupyter={"source_hidden": true}
if ws.has("orders"):
    cohorts = jk.retention(ws.orders)
    out.table(cohorts, "retention")
    fig = jk.retention_heatmap(cohorts)
    display(out.show(fig, "retention_heatmap", title="Returning customers per monthly cohort",
               alt="Heat map of the share of each monthly cohort that bought again in later months"))
else:
    print(out.skipped("Retention skipped: the workspace has no orders table."))

# %% [markdown]
# **How to read it:** read along a row to see one cohort fade; read down a column to
# see whether newer cohorts return more often than older ones after the same number
# of months.

# %% [markdown]
# ### Still coming back, and who comes back
#
# "On or after" counts a customer in a month when they bought in that month *or any later
# one* (rolling retention: it only falls, and says how many are still customers). Then the
# same by persona and by the channel of their first order, each group's cohorts pooled: which
# customers are worth winning first?

# %% jupyter={"source_hidden": true}
if ws.has("orders"):
    print(jk.semantics(ws).set_index("topic").loc["Retention", "definition"])
    rolling = jk.retention(ws.orders, period="Q", kind="on_or_after")
    out.table(rolling, "retention_on_or_after")
    display(out.show(jk.retention_heatmap(rolling, kind="on_or_after",
                                          title="Still buying: quarterly cohorts, on or after"),
                     "retention_on_or_after", title="Customers still buying per quarterly cohort",
                     alt="Heat map of the share of each quarterly cohort that bought in that quarter or later"))
    # a breakdown only where the column has values (charts only with data)
    breakdowns = [c for c in ("persona", "channel", "product")
                  if (c in ws.orders.columns and bool(ws.orders[c].notna().any()))
                  or (c == "persona" and ws.customers is not None and "persona_id" in ws.customers.columns
                      and bool(ws.customers["persona_id"].notna().any()))]
    for column in breakdowns:
        grouped = jk.retention(ws.orders, period="Q", by=column, customers=ws.customers, max_periods=6)
        curves = jk.retention_curves(grouped, column)
        out.table(curves, f"retention_by_{column}")
        display(out.show(jk.retention_heatmap(curves, rows=column, title=f"Returning customers by {column}"),
                         f"retention_by_{column}", title=f"Returning customers by {column}",
                         alt=f"Heat map of the share of customers buying again per quarter, by {column}"))

# %% [markdown]
# ## Step 8 · Satisfaction by stage and persona
#
# NPS (would they recommend you, -100 to 100), CSAT (share of satisfied answers) and
# CES (how easy it was, 1-7) by stage and by persona, each with its interval and
# number of answers. Groups with fewer than 30 answers are flagged.

# %% jupyter={"source_hidden": true}
if ws.has("feedback"):
    # each answer's stage as the emotion curve and the journey map link it: one CSAT by stage
    csat_definition = ws.config.defaults.csat_definition
    by_stage = jk.kpi_table(jk.linked_feedback(ws), by="stage", levels={"stage": ws.stage_ids},
                            csat_definition=csat_definition)
    by_persona = jk.kpi_table(ws.feedback, by="persona_id", customers=ws.customers,
                              csat_definition=csat_definition)
    out.table(by_persona, "kpis_by_persona")
    out.table(by_stage, "kpis_by_stage")
    fig = jk.kpi_by_group(by_stage, "csat", title="CSAT by stage",
                          labels={**ws.labels("stage"), "": "not linked to a stage"})
    display(out.show(fig, "csat_by_stage", title="CSAT by stage",
               alt="CSAT per journey stage with 95% intervals"))
    display(by_stage)
    display(by_persona)
else:
    print(out.skipped("Satisfaction KPIs skipped: the workspace has no feedback table."))

# %% [markdown]
# **How to read it:** when the intervals of two stages overlap a lot, the difference
# between them may be chance. Small groups (flagged) need more answers before you act.

# %% [markdown]
# ### Explore with filters
#
# Choose a persona, a channel or a period and the satisfaction table follows. (In a
# scheduled run this shows the table for the `persona` setting instead.)

# %% jupyter={"source_hidden": true}
if not ws.has("feedback"):
    print("Filters skipped: no feedback table.")
elif interactive:
    display(jk.filter_bar(ws, persona=persona,
                          view=lambda bar: jk.kpi_table(bar.filtered("feedback"), by="stage")))
elif persona is not None:
    display(jk.kpi_table(ws.feedback, by=["persona_id", "stage"], customers=ws.customers)
            .query("persona_id == @persona"))

# %% [markdown]
# ## Step 9 · What customers are worth
#
# Customer lifetime value (CLV): what a customer brings in over their time with you.
# The simple version multiplies average order value, purchases per year and years a
# customer stays. The model version (a standard statistical model of repeat buying,
# "BG/NBD", with a second one for order values, "Gamma-Gamma") also estimates how
# likely each customer is still active and how many purchases to expect; a scheduled run
# saves these per customer, 12 months ahead, in `customers_clv.csv`.

# %% jupyter={"source_hidden": true}
if ws.has("orders"):
    simple = jk.historical_clv(ws.orders, currency=ws.config.currency)
    print(simple.formula)
    display(jk.persona_cards(ws)[["name", "n_customers", "share_revenue", "clv",
                                  "probability_alive"]])
    summary = jk.rfm_summary(ws.orders, observation_end=as_of)
    model = jk.fit_bgnbd(summary)
    expected = model.expected_purchases(4, summary["frequency"], summary["recency"], summary["T"])
    print(f"Expected purchases in the next 4 weeks: {expected.sum():,.0f} "
          f"from {len(summary):,} customers")
    try:  # the spend model needs at least two repeat customers
        per_customer = jk.customers_clv(ws, as_of=as_of)
    except jk.JourneykitError as problem:
        print(out.skipped(f"Per-customer CLV skipped: {problem}"))
    else:
        out.customer_list(per_customer, "customers_clv")
        print(f"Per customer (saved in customers_clv.csv): {ws.config.currency} "
              f"{per_customer['clv_12m'].sum():,.0f} expected in the next 12 months from {len(per_customer):,} customers; "
              f"{(per_customer['probability_alive'] >= 0.5).mean():.0%} of them are more likely "
              "active than not.")
else:
    print(out.skipped("Lifetime value skipped: the workspace has no orders table."))

# %% [markdown]
# ### Does the model hold up?
#
# The model is fitted again to the first two thirds of the order history only, and asked
# to predict the last third: the chart puts its expected repeat purchases, week by week,
# beside the actual ones (the check of Fader, Hardie & Lee). Lines that stay together
# mean its forecasts can be trusted here. `probability_alive` above is the mean chance
# that a persona's buyers are still customers.

# %% jupyter={"source_hidden": true}
if ws.has("orders"):
    dates = ws.orders["date"] if as_of is None else ws.orders["date"][ws.orders["date"].dt.normalize() <= as_of]
    first_day, last_day = dates.min().normalize(), dates.max().normalize()
    calibration_end = (first_day + (last_day - first_day) * 2 / 3).normalize()
    split = jk.calibration_and_holdout(ws.orders, calibration_end, last_day)
    tracking = jk.repeat_purchase_tracking(jk.fit_bgnbd(split), ws.orders,
                                           calibration_end=calibration_end, observation_end=last_day)
    out.table(tracking, "clv_tracking")
    display(out.show(jk.tracking_chart(tracking), "clv_tracking", title="Repeat purchases: actual and expected",
                     alt="Cumulative repeat purchases per week, actual and expected by the model fitted before the holdout"))
    end = tracking.iloc[-1]
    print(f"By {last_day:%d %b %Y}: {end['actual']:,} repeat purchases, {end['expected']:,.0f} expected "
          f"by the model fitted up to {calibration_end:%d %b %Y}.")
    chances = model.probability_of_purchases(52, [0, 1, 2, 3])
    print("A new customer's chance of 0, 1, 2, 3 repeat purchases in the first 52 weeks: "
          + ", ".join(f"{p:.0%}" for p in chances))

# %% [markdown]
# > **Your turn.** If you kept 5 % more customers a year, how much would lifetime value change?
# Which pain point from notebook 03 would do most for that?

# %% [markdown]
# ## Step 10 · Trends across runs
#
# Every scheduled run saves its KPIs. Here they are over time, with the targets.

# %% jupyter={"source_hidden": true}
history = jk.kpi_history(reports_dir, current=metrics, output_dir=output_dir)  # earlier runs and this one
out.table(history, "kpi_history")
if history["run_id"].nunique() > 1:
    fig = jk.kpi_trend(history, ws.config.kpis)
    display(out.show(fig, "kpi_trend", title="KPIs over time",
                     alt="Line chart of each measured KPI per run date, this run included, with targets"))
else:
    print(out.skipped("KPI trend: this is the first run, so there is no trend yet; it appears after the second run."))

# %% [markdown]
# **Next:** `05_journey_report.ipynb` - everything on one page.
