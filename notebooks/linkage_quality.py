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


def scores(level):
    """kaigo and the baselines over pairs of identities or pairs of records."""
    methods = {"kaigo": evaluation[level]["kaigo"], **evaluation[level]["baselines"]}
    return pl.DataFrame(
        [{"method": name, **{k: s[k] for k in ("precision", "recall", "f1", "clusters")}} for name, s in methods.items()]
    )


# The headline is over pairs of identities (insurer + insured number): every cross-insurer link
# counts once, where pairs of records are dominated by the pairs inside one identity.
quality = scores("identity_pairs")
print(quality)
print("pairs of records (secondary):")
print(scores("record_pairs"))
print("true persons:", evaluation["true_persons"], " identities:", evaluation["identities"])
print("cluster measures over identities:", evaluation["clusters"])
# False merges beside the pairs that could have been merged: injected homonyms and twins, and
# natural coincidences (two persons sharing kana name, birth date and sex by chance).
print("false merges by cause:", evaluation["false_merges_by_cause"])
print(
    "lookalike pairs present:",
    evaluation["lookalike_pairs"],
    " natural coincidences present:",
    evaluation["coincidence_pairs"],
)

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
x = range(quality.height)
for offset, metric in enumerate(["precision", "recall", "f1"]):
    ax.bar([i + offset * 0.27 for i in x], quality[metric], width=0.27, label=metric)
ax.set_xticks([i + 0.27 for i in x])
ax.set_xticklabels(quality["method"])
ax.set_ylim(0, 1.05)
ax.set_title("Linkage quality over pairs of identities, against the generator's truth")
ax.legend()
fig.tight_layout()
fig.savefig(figures / "linkage_quality.png", dpi=120)

# %% [markdown]
# ## Recall by life event and noise kind (identity pairs), records kept by noise kind

# %%
kept = pl.DataFrame(
    [{"noise": name, "records": n, "kept_share": share} for name, (n, share) in evaluation["kept_by_noise"].items()]
)
print(kept.sort("kept_share"))
events = pl.DataFrame(
    [{"event": name, **recall} for name, recall in evaluation["recall_by_event"].items()]
)
print(events)

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
