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
# # Roll-out coverage of the LTC information hub
#
# **Question.** Month by month, how many insurers are live on the hub, what share of the 65+
# population do they cover, and do large insurers (designated cities, Tokyo wards) lag behind
# the others?
#
# Reads `rollout_status_by_insurer_month` (one row per insurer and registry month) from the
# warehouse given by `KAIGO_WAREHOUSE` (default: the demo, `out/demo/warehouse`) and saves its
# figures under `KAIGO_FIGURES` (default `out/demo/figures`).

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


def table(name: str) -> pl.DataFrame:
    """A warehouse table at its current Delta version."""
    return pl.read_delta(str(warehouse / "warehouse" / name))


status = table("rollout_status_by_insurer_month")
status.head()

# %% [markdown]
# ## Insurers live and the 65+ population covered, by month

# %%
by_month = (
    status.group_by("month_key")
    .agg(
        insurers=pl.len(),
        live=pl.col("is_live").sum(),
        population=pl.col("population_65_plus").sum(),
        population_live=pl.col("population_65_plus").filter(pl.col("is_live")).sum(),
    )
    .with_columns(
        live_pct=100 * pl.col("live") / pl.col("insurers"),
        population_covered_pct=100 * pl.col("population_live") / pl.col("population"),
    )
    .sort("month_key")
)
assert (by_month["live"] <= by_month["insurers"]).all()
print(by_month.tail(6))

# %%
months = [str(m) for m in by_month["month_key"]]
fig, ax = plt.subplots(figsize=(9, 4))
ax.plot(months, by_month["live_pct"], label="insurers live (%)")
ax.plot(months, by_month["population_covered_pct"], label="65+ population covered (%)")
ax.set_ylim(0, 100)
ax.set_xticks(months[:: max(1, len(months) // 8)])
ax.set_ylabel("%")
ax.set_title("Hub roll-out by registry month")
ax.legend()
fig.tight_layout()
fig.savefig(figures / "rollout_coverage.png", dpi=120)

# %% [markdown]
# ## Large-insurer lag: share live by size class

# %%
size_names = {"1": "designated city / ward", "2": "core city", "3": "other municipality", "4": "joint insurer"}
by_size = (
    status.group_by("month_key", "size_class_code")
    .agg(live_pct=100 * pl.col("is_live").mean())
    .sort("month_key")
)
fig, ax = plt.subplots(figsize=(9, 4))
for code, name in size_names.items():
    rows = by_size.filter(pl.col("size_class_code") == code)
    if rows.height:
        ax.plot([str(m) for m in rows["month_key"]], rows["live_pct"], label=name)
ax.set_ylim(0, 100)
ax.set_xticks(months[:: max(1, len(months) // 8)])
ax.set_ylabel("insurers live (%)")
ax.set_title("Share live by size class")
ax.legend()
fig.tight_layout()
fig.savefig(figures / "rollout_by_size_class.png", dpi=120)

latest = status.filter(pl.col("month_key") == status["month_key"].max())
print(
    latest.group_by("size_class_code")
    .agg(insurers=pl.len(), live_pct=100 * pl.col("is_live").mean())
    .sort("size_class_code")
)
