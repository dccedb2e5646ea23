# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Standardized outcomes by insurer, with funnel plots
#
# **Question.** After direct age–sex standardization, which insurers' outcomes (worsening of
# care level, death, facility admission within a year) differ from the nation by more than
# chance would explain for their size?
#
# Reads `outcomes_by_area` (built by `kaigo build`: crude and standardized values, 95 % intervals
# and the funnel-plot control limits for every area, period and measure). `KAIGO_WAREHOUSE` and
# `KAIGO_FIGURES` as in the other notebooks.

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl

warehouse = Path(os.environ.get("KAIGO_WAREHOUSE", "out/demo/warehouse"))
figures = Path(os.environ.get("KAIGO_FIGURES", "out/demo/figures"))
figures.mkdir(parents=True, exist_ok=True)

outcomes = pl.read_delta(str(warehouse / "warehouse" / "outcomes_by_area"))
insurers = outcomes.filter((pl.col("area_level") == "insurer") & pl.col("standardized_value").is_not_null())
# The latest cohort period with standardized insurer values (a cohort needs its follow-up year).
period = insurers.filter(pl.col("measure_code") == "died")["period_key"].max()
print("cohort period:", period)

# %% [markdown]
# ## Funnel plots: standardized proportion against the denominator

# %%
measures = ["care_level_worsened", "died", "facility_admission"]
fig, axes = plt.subplots(1, len(measures), figsize=(13, 4))
outliers = []
for ax, measure in zip(axes, measures):
    rows = insurers.filter((pl.col("measure_code") == measure) & (pl.col("period_key") == period)).sort("denominator")
    if rows.height == 0:
        ax.set_title(f"{measure}: no rows")
        continue
    ax.scatter(rows["denominator"], rows["standardized_value"], s=12, label="insurer")
    ax.plot(rows["denominator"], rows["national_value"], color="black", lw=1, label="nation")
    for low, high, style in [("funnel_lower_95", "funnel_upper_95", "--"), ("funnel_lower_998", "funnel_upper_998", ":")]:
        ax.plot(rows["denominator"], rows[low], color="grey", ls=style, lw=1)
        ax.plot(rows["denominator"], rows[high], color="grey", ls=style, lw=1)
    ax.set_title(measure)
    ax.set_xlabel("denominator (persons)")
    outliers.append(
        rows.filter(
            (pl.col("standardized_value") < pl.col("funnel_lower_998"))
            | (pl.col("standardized_value") > pl.col("funnel_upper_998"))
        ).select("measure_code", "area_code", "denominator", "standardized_value", "national_value")
    )
axes[0].set_ylabel("standardized proportion")
fig.tight_layout()
fig.savefig(figures / "outcomes_funnel.png", dpi=120)

# %% [markdown]
# ## Insurers outside the 99.8 % limits
#
# With ~67 insurers and three measures, about 0.2 % × 200 ≈ 0.4 would fall outside by chance
# alone; more than a few is a signal worth a closer look (or a data problem).

# %%
outside = pl.concat(outliers) if outliers else pl.DataFrame()
print(outside)
plotted = insurers.filter((pl.col("period_key") == period) & pl.col("measure_code").is_in(measures)).height
print("insurers × measures plotted:", plotted)
assert plotted > 0, "no standardized insurer outcome to plot"
