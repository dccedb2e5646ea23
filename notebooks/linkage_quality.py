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
# # Linkage quality
#
# **Question.** How well does kaigo's person linkage join each person's records across insurers,
# name changes and typos, compared with linking on one identifier alone — and how large are the
# persons it builds?
#
# Reads the linkage run's evaluation against the synthetic hub's truth
# (`<warehouse>/linkage/evaluation.json`, written by `kaigo run` or `kaigo linkage evaluate`) and
# the `person_map` table (identity → person). `KAIGO_WAREHOUSE` and `KAIGO_FIGURES` as in the
# other notebooks.

# %%
import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl

warehouse = Path(os.environ.get("KAIGO_WAREHOUSE", "out/demo/warehouse"))
figures = Path(os.environ.get("KAIGO_FIGURES", "out/demo/figures"))
figures.mkdir(parents=True, exist_ok=True)

evaluation = json.loads((warehouse / "linkage" / "evaluation.json").read_text())["evaluation"]
methods = {"kaigo": evaluation["kaigo"], **evaluation["baselines"]}
quality = pl.DataFrame(
    [{"method": name, **{k: scores[k] for k in ("precision", "recall", "f1", "clusters")}} for name, scores in methods.items()]
)
print(quality)
print("true persons:", evaluation["true_persons"], " look-alike false merges:", evaluation["lookalike_false_merges"])

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
x = range(quality.height)
for offset, metric in enumerate(["precision", "recall", "f1"]):
    ax.bar([i + offset * 0.27 for i in x], quality[metric], width=0.27, label=metric)
ax.set_xticks([i + 0.27 for i in x])
ax.set_xticklabels(quality["method"])
ax.set_ylim(0, 1.05)
ax.set_title("Pairwise linkage quality against the generator's truth")
ax.legend()
fig.tight_layout()
fig.savefig(figures / "linkage_quality.png", dpi=120)

# %% [markdown]
# ## Recall by noise kind and by life event

# %%
kept = pl.DataFrame(
    [{"noise": name, "records": n, "kept_share": share} for name, (n, share) in evaluation["kept_by_noise"].items()]
)
print(kept.sort("kept_share"))
print(evaluation["recall_by_event"])

# %% [markdown]
# ## Identities per person

# %%
person_map = pl.read_delta(str(warehouse / "warehouse" / "person_map"))
sizes = person_map.group_by("person_key").agg(identities=pl.len())["identities"].value_counts().sort("identities")
print(sizes)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.bar([str(v) for v in sizes["identities"]], sizes["count"])
ax.set_yscale("log")
ax.set_xlabel("identities (insurer × insured number) per person")
ax.set_ylabel("persons")
fig.tight_layout()
fig.savefig(figures / "linkage_cluster_sizes.png", dpi=120)
assert person_map["identity_key"].n_unique() == person_map.height, "one person per identity"
