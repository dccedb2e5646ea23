"""The Parquet files a Delta table has committed, for the benchmarks that read kaigo's tables
with other engines: replayed from _delta_log/*.json (add minus remove)."""

import json
import sys
from pathlib import Path


def committed_files(table: Path) -> list[str]:
    log = table / "_delta_log"
    if any(log.glob("*.checkpoint.parquet")):
        sys.exit(f"{table}: has a checkpoint; replaying JSON commits alone would miss files")
    files: dict[str, bool] = {}
    for commit in sorted(log.glob("*.json")):
        for line in commit.read_text(encoding="utf-8").splitlines():
            action = json.loads(line)
            if "add" in action:
                files[action["add"]["path"]] = True
            elif "remove" in action:
                files.pop(action["remove"]["path"], None)
    return [str(table / path) for path in files]
