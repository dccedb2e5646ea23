"""An attacker on a public release, written apart from kaigo's audit (benches/attack_release.sh).

It reads only what the release publishes (`publish/cells.csv`) and what an attacker may assume:
every published relation (area totals, fiscal year = sum of its months, `within` counts at most
their superset), every regularity the release spec declares (`at_most`, `over_time`) wherever the
true data keeps it, all counts non-negative integers, and cells not available ("…") as unknowns.
For every hidden cell, and every sensitive difference of two nested counts with a hidden term, it
asks HiGHS for the integer minimum and maximum (`highspy`, a MIP solver kaigo does not use), and
judges the interval against the truth (the source model, `--truth`): a cell the rules call
sensitive must keep a width of its protection, any other hidden cell a width of 1 (not exact).

To spare solves, every integral table found (the true one first) bounds every cell from inside:
a cell is proven once two such tables differ in it by its protection; only the others get their
own programs. Writes a JSON report (`--out`); exits 1 when any cell is narrowed.
"""

import argparse
import csv
import json
import math
import sys
import time
import tomllib
from collections import defaultdict

import highspy
import numpy as np

CAP = 10_000_000.0
PREFECTURE = "prefecture"
MUNICIPALITY = "municipality"


def progress(message: str):
    print(f"attack: {message}", file=sys.stderr, flush=True)


def fiscal_year(month: int) -> int:
    year, month_of_year = divmod(month, 100)
    return year if month_of_year >= 4 else year - 1


class Rules:
    """The publication rules (docs/disclosure.md; kaigo's `Rules::default`, the guideline's)."""

    rules = {
        "person_minimum": 10,
        "no_counts_below_population": 2_000,
        "mid_municipality_population": 25_000,
        "mid_municipality_person_minimum": 20,
        "attribute_minimum": 3,
    }

    def protection(self, unit: str, population, value: int):
        """The width a cell must keep when showing it breaks the rule, else None."""
        r = self.rules
        if unit in ("providers", "municipalities"):
            return r["attribute_minimum"] if 0 < value < r["attribute_minimum"] else None
        if population is not None and population < r["no_counts_below_population"]:
            return r["person_minimum"]
        minimum = r["person_minimum"]
        if population is not None and population < r["mid_municipality_population"]:
            minimum = r["mid_municipality_person_minimum"]
        return minimum if 0 < value < minimum else None


def read_truth(path, counts):
    """Per count: {(insurer, month): value or None}; per insurer: (prefecture, population)."""
    truth = {count["column"]: {} for count in counts}
    areas = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            insurer, month = row["insurer_number"], int(row["month_key"])
            population = int(row["insured_population"])
            prefecture, smallest = areas.get(insurer, (row["prefecture_code"], population))
            areas[insurer] = (prefecture, min(smallest, population))
            for count in counts:
                text = row[count["column"]]
                truth[count["column"]][(insurer, month)] = int(text) if text != "" else None
    return truth, areas


class Attack:
    def __init__(self, spec, cells_path, truth_path):
        self.counts = spec["counts"]
        self.rules = Rules()
        self.truth_rows, self.areas = read_truth(truth_path, self.counts)
        self.months = sorted({month for values in self.truth_rows.values() for (_, month) in values})
        self.published = {}  # (count, area, period) -> value, or "hidden", or "unavailable"
        self.area_level = {}
        counts = {count["column"] for count in self.counts}
        with open(cells_path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["indicator"] not in counts:
                    continue  # a rate: shown only where both its counts are
                period = ("FY", int(row["period_key"])) if row["period_level"] == "fiscal_year" else int(row["period_key"])
                key = (row["indicator"], row["area_code"], period)
                self.area_level[row["area_code"]] = row["area_level"]
                if row["is_suppressed"] == "true":
                    self.published[key] = "hidden"
                elif not row["value"].isdigit():  # "…": not available
                    self.published[key] = "unavailable"
                else:
                    self.published[key] = int(row["value"])
        self.prefectures = sorted(area for area, level in self.area_level.items() if level == PREFECTURE)
        self.municipalities_of = defaultdict(list)
        for area, (prefecture, _) in sorted(self.areas.items()):
            self.municipalities_of[prefecture].append(area)
        self.years = sorted({fiscal_year(month) for month in self.months})

    # --- the truth, aggregated as the release aggregates it -------------------------------------
    def truth(self, count, area, period, missing=None):
        """The true value; `missing` stands for a source value not available (else None is returned)."""
        municipal = [area] if self.area_level[area] == MUNICIPALITY else (
            self.municipalities_of[area] if self.area_level[area] == PREFECTURE else sorted(self.areas))
        months = [m for m in self.months if fiscal_year(m) == period[1]] if isinstance(period, tuple) else [period]
        total = 0
        for insurer in municipal:
            for month in months:
                value = self.truth_rows[count].get((insurer, month), 0)
                if value is None:
                    if missing is None:
                        return None
                    value = missing
                total += value
        return total

    def population(self, area):
        return self.areas[area][1] if self.area_level[area] == MUNICIPALITY else None

    # --- the attacker's program -----------------------------------------------------------------
    def build(self):
        """Variables (hidden and unavailable cells) and rows (dict var -> coefficient, lower, upper)."""
        self.variables = {}
        for key, state in sorted(self.published.items(), key=lambda item: str(item[0])):
            if state in ("hidden", "unavailable"):
                self.variables[key] = len(self.variables)
        self.rows = []
        mismatches = 0
        for key, state in self.published.items():
            if isinstance(state, int) and self.truth(*key) != state:
                mismatches += 1
        if mismatches:
            sys.exit(f"attack: {mismatches} published cells differ from the truth: wrong --truth?")

        def term(key, coefficient, terms, constant):
            state = self.published.get(key)
            if state is None:
                raise KeyError(f"no published cell {key}")
            if isinstance(state, int):
                return constant + coefficient * state
            terms[self.variables[key]] = terms.get(self.variables[key], 0) + coefficient
            return constant

        def relation(parts, lower, upper):
            """sum(coefficient * cell) within [lower, upper]."""
            terms, constant = {}, 0
            for key, coefficient in parts:
                constant = term(key, coefficient, terms, constant)
            terms = {var: c for var, c in terms.items() if c != 0}
            if not terms:
                if not (lower - 1e-9 <= constant <= upper + 1e-9):
                    sys.exit(f"attack: the published cells break a relation: {parts}")
                return
            self.rows.append((terms, lower - constant, upper - constant))

        periods = list(self.months) + [("FY", year) for year in self.years]
        self.n_relations = defaultdict(int)
        for count in self.counts:
            column = count["column"]
            for period in periods:
                if (column, "00", period) not in self.published:
                    continue
                # Area totals.
                relation([((column, "00", period), 1)] + [((column, p, period), -1) for p in self.prefectures], 0, 0)
                for prefecture in self.prefectures:
                    relation([((column, prefecture, period), 1)]
                             + [((column, m, period), -1) for m in self.municipalities_of[prefecture]], 0, 0)
                self.n_relations[(column, "area totals")] += 1 + len(self.prefectures)
            for area in self.area_level:
                for year in self.years:
                    months = [m for m in self.months if fiscal_year(m) == year]
                    if (column, area, ("FY", year)) not in self.published:
                        continue
                    relation([((column, area, ("FY", year)), 1)] + [((column, area, m), -1) for m in months], 0, 0)
                    self.n_relations[(column, "fiscal years")] += 1
            # Nested counts: at every cell.
            if "within" in count:
                for area in self.area_level:
                    for period in periods:
                        if (column, area, period) in self.published:
                            relation([((count["within"], area, period), 1), ((column, area, period), -1)], 0, math.inf)
                            self.n_relations[(column, f"within {count['within']}")] += 1
            # Regularities: at municipal cells, where the truth keeps them.
            municipalities = [a for a, level in self.area_level.items() if level == MUNICIPALITY]
            for bound in count.get("at_most", []):
                for area in municipalities:
                    for month in self.months:
                        smaller, larger = self.truth(column, area, month), self.truth(bound, area, month)
                        if smaller is not None and larger is not None and smaller <= larger:
                            relation([((bound, area, month), 1), ((column, area, month), -1)], 0, math.inf)
                            self.n_relations[(column, f"at most {bound}")] += 1
            over_time = count.get("over_time")
            if over_time:
                for area in municipalities:
                    for earlier, later in zip(self.months, self.months[1:]):
                        a, b = self.truth(column, area, earlier), self.truth(column, area, later)
                        if a is None or b is None:
                            continue
                        upper = 0 if over_time == "constant" else math.inf
                        if a == b or (over_time == "non_decreasing" and a <= b):
                            relation([((column, area, later), 1), ((column, area, earlier), -1)], 0, upper)
                            self.n_relations[(column, over_time)] += 1

    def targets(self):
        """(name, objective {var: coefficient}, true value, required width, sensitive) per cell judged."""
        targets = []
        for key, state in sorted(self.published.items(), key=lambda item: str(item[0])):
            if state != "hidden":
                continue
            column, area, _ = key
            unit = next(count["unit"] for count in self.counts if count["column"] == column)
            value = self.truth(*key)
            protection = self.rules.protection(unit, self.population(area), value)
            targets.append((key, {self.variables[key]: 1}, value, protection or 1, protection is not None))
        for count in self.counts:
            if "within" not in count:
                continue
            column, superset = count["column"], count["within"]
            unit = next(c["unit"] for c in self.counts if c["column"] == superset)
            for key, state in sorted(self.published.items(), key=lambda item: str(item[0])):
                if key[0] != column or state == "unavailable":
                    continue
                super_key = (superset, key[1], key[2])
                if self.published[super_key] == "unavailable":
                    continue
                if state != "hidden" and self.published[super_key] != "hidden":
                    continue
                value = self.truth(*super_key) - self.truth(*key)
                protection = self.rules.protection(unit, self.population(key[1]), value)
                if protection is None:
                    continue
                objective = {}
                for k, coefficient in ((super_key, 1), (key, -1)):
                    if k in self.variables:
                        objective[self.variables[k]] = objective.get(self.variables[k], 0) + coefficient
                targets.append((("difference", superset, column, key[1], key[2]), objective, value, protection, True))
        return targets

    # --- solving ----------------------------------------------------------------------------------
    def components(self):
        parent = list(range(len(self.variables)))

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for terms, _, _ in self.rows:
            variables = list(terms)
            for other in variables[1:]:
                a, b = find(variables[0]), find(other)
                if a != b:
                    parent[a] = b
        groups = defaultdict(list)
        for var in range(len(self.variables)):
            groups[find(var)].append(var)
        return groups, find

    def run(self, time_limit):
        started = time.monotonic()
        self.build()
        targets = self.targets()
        progress(f"{len(self.variables)} unknowns, {len(self.rows)} relations, {len(targets)} cells to judge, "
                 f"{time.monotonic() - started:.1f}s")
        true_value = np.zeros(len(self.variables))
        for key, var in self.variables.items():
            # A cell not available takes any value the others allow; the true table's known cells with
            # 0 for the unknown ones is one.
            true_value[var] = self.truth(*key, missing=0)
        groups, find = self.components()
        rows_of = defaultdict(list)
        for row in self.rows:
            rows_of[find(next(iter(row[0])))].append(row)
        targets_of = defaultdict(list)
        for target in targets:
            if target[1]:
                targets_of[find(next(iter(target[1])))].append(target)
        results = []
        n_programs = 0
        for root, members in sorted(groups.items(), key=lambda item: -len(item[1])):
            if not targets_of[root]:
                continue
            component_started, programs_before = time.monotonic(), n_programs
            local = {var: index for index, var in enumerate(members)}
            highs = highspy.Highs()
            highs.setOptionValue("output_flag", False)
            highs.setOptionValue("mip_rel_gap", 0.0)
            highs.setOptionValue("threads", 1)
            n = len(members)
            # A cap no count reaches keeps every program bounded; a cell that reaches it is as
            # unbounded as any protection needs.
            highs.addVars(n, np.zeros(n), np.full(n, CAP))
            highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                        np.array([highspy.HighsVarType.kInteger] * n))
            for terms, lower, upper in rows_of[root]:
                indices = np.array([local[var] for var in terms], dtype=np.int32)
                values = np.array(list(terms.values()), dtype=np.float64)
                highs.addRow(lower if lower > -math.inf else -highspy.kHighsInf,
                             upper if upper < math.inf else highspy.kHighsInf, len(indices), indices, values)
            mine = targets_of[root]
            n_targets = len(mine)
            target_of_term = np.array([t for t, target in enumerate(mine) for _ in target[1]], dtype=np.int64)
            column_of_term = np.array([local[var] for target in mine for var in target[1]], dtype=np.int64)
            weight_of_term = np.array([c for target in mine for c in target[1].values()], dtype=np.float64)
            required = np.array([target[3] for target in mine], dtype=np.float64)
            low, high = np.full(n_targets, math.inf), np.full(n_targets, -math.inf)

            def values_at(point):
                return np.bincount(target_of_term, weights=weight_of_term * point[column_of_term], minlength=n_targets)

            def observe(point):
                values = values_at(point)
                np.minimum(low, values, out=low)
                np.maximum(high, values, out=high)

            def unproven():
                return np.nonzero(high - low < required - 1e-9)[0]

            def solve(costs):
                """An integral table minimizing `costs`: (status, point or None, dual bound)."""
                nonlocal n_programs
                highs.changeColsCost(n, np.arange(n, dtype=np.int32), costs)
                # HiGHS counts its time limit over the object's life, not per program.
                highs.setOptionValue("time_limit", highs.getRunTime() + float(time_limit))
                highs.run()
                n_programs += 1
                status, info = highs.getModelStatus(), highs.getInfo()
                point = np.array(highs.getSolution().col_value) if info.primal_solution_status == 2 else None
                if point is not None:
                    observe(point)
                return status, point, info.mip_dual_bound

            def costs_of(signs):
                costs = np.zeros(n)
                np.add.at(costs, column_of_term, weight_of_term * signs[target_of_term])
                return costs

            observe(np.array([true_value[var] for var in members]))
            # Tables far from the true one in many cells at once: every cell still open pushed up,
            # down, then each up or down at random, while that proves cells.
            random = np.random.default_rng(7)
            for round_number in range(200):
                open_before = unproven()
                if len(open_before) == 0:
                    break
                signs = np.zeros(n_targets)
                if round_number == 0:
                    signs[open_before] = -1.0
                elif round_number == 1:
                    signs[open_before] = 1.0
                else:
                    signs[open_before] = random.choice([-1.0, 1.0], size=len(open_before))
                solve(costs_of(signs))
                progress(f"  round {round_number}: {len(open_before)} open before, {len(unproven())} after")
                if round_number >= 2 and len(open_before) - len(unproven()) < max(2, len(open_before) // 100):
                    break
            bulk_programs = n_programs - programs_before
            # The rest: each cell's own integer minimum and maximum.
            for t, target in enumerate(mine):
                name, _, value, _, sensitive = target
                interval = {"cell": str(name), "true": value, "required": int(required[t]), "sensitive": sensitive}
                outer = {}
                for sense in (-1.0, 1.0):
                    if high[t] - low[t] >= required[t] - 1e-9:
                        break
                    signs = np.zeros(n_targets)
                    signs[t] = sense
                    status, point, dual = solve(costs_of(signs))
                    if n_programs % 100 == 0:
                        progress(f"  program {n_programs}: cell {t} of {n_targets}, {len(unproven())} open")
                    if status == highspy.HighsModelStatus.kOptimal:
                        outer[sense] = values_at(point)[t]
                    elif math.isfinite(dual):  # stopped: the dual bound bounds the cell from outside
                        outer[sense] = -dual if sense < 0 else dual
                    else:
                        outer[sense] = -CAP if sense > 0 else 2 * CAP
                if high[t] - low[t] >= required[t] - 1e-9:
                    how = "integer programs" if outer else "tables seen"
                    results.append({**interval, "verdict": "protected", "how": how})
                    continue
                outer_low = math.ceil(outer.get(1.0, low[t]) - 1e-6)
                outer_high = math.floor(outer.get(-1.0, high[t]) + 1e-6)
                if outer_high - outer_low < required[t]:
                    results.append({**interval, "verdict": "narrowed", "interval": [outer_low, outer_high]})
                else:
                    results.append({**interval, "verdict": "undecided", "seen": [low[t], high[t]],
                                    "outer": [outer_low, outer_high]})
            progress(f"component of {n} unknowns, {n_targets} cells: {bulk_programs} + "
                     f"{n_programs - programs_before - bulk_programs} integer programs, "
                     f"{time.monotonic() - component_started:.1f}s")
        return results, n_programs, time.monotonic() - started, len(groups)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publish", required=True, help="the release folder (cells.csv)")
    parser.add_argument("--truth", required=True, help="CSV of the source model (kaigo sql --format csv)")
    parser.add_argument("--spec", required=True, help="the release spec (release.toml)")
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per integer program")
    parser.add_argument("--out", required=True, help="the JSON report (HiGHS writes a banner to stdout)")
    args = parser.parse_args()
    with open(args.spec, "rb") as handle:
        spec = tomllib.load(handle)
    attack = Attack(spec, f"{args.publish}/cells.csv", args.truth)
    results, n_programs, seconds, n_components = attack.run(args.time_limit)
    by_indicator = defaultdict(lambda: defaultdict(int))
    for result in results:
        name = result["cell"]
        indicator = name.split("'")[1] if not name.startswith("('difference'") else \
            "difference " + name.split("'")[3] + " - " + name.split("'")[5]
        by_indicator[indicator]["hidden" if not name.startswith("('difference'") else "sensitive differences"] += 1
        by_indicator[indicator]["sensitive"] += result["sensitive"]
        by_indicator[indicator][result["verdict"]] += 1
    failures = [result for result in results if result["verdict"] != "protected"]
    report = {
        "solver": f"HiGHS {highspy.Highs().version()} (highspy), integer programs",
        "variables": len(attack.variables),
        "relations": len(attack.rows),
        "relations_by_kind": {f"{column}: {kind}": n for (column, kind), n in sorted(attack.n_relations.items())},
        "components": n_components,
        "integer_programs": n_programs,
        "seconds": round(seconds, 1),
        "cells_judged": len(results),
        "narrowed": sum(result["verdict"] == "narrowed" for result in results),
        "undecided": sum(result["verdict"] == "undecided" for result in results),
        "by_indicator": {name: dict(values) for name, values in sorted(by_indicator.items())},
        "failures": failures[:50],
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=1, ensure_ascii=False)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
