"""Linkage benchmark, Splink side (see linkage_vs_splink.sh).

Usage: linkage_vs_splink.py WAREHOUSE_ROOT HUB_ROOT

Reads the vault's record_tokens (the same keyed tokens kaigo links), links them with Splink 4 on
DuckDB, and scores both Splink's clusters and kaigo's (warehouse person_map) against the hub's
truth with the same pairwise precision/recall/F1: first over pairs of identities (insurer +
insured number, each taking the true person and the predicted cluster of most of its records, as
`kaigo linkage evaluate` does), then over pairs of records (secondary: within-identity pairs
dominate them). Prints one JSON object.

Like kaigo, Splink is given each insurer + insured number's distinct token combinations rather
than every record (a person's 100 claim records carry the same tokens); the timed part starts
from the Parquet files and ends with every record assigned a cluster.
"""

import json
import resource
import sys
import time

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

warehouse, hub = sys.argv[1], sys.argv[2]
TOKENS = f"{warehouse}/vault/record_tokens/**/*.parquet"
FIELDS = {
    "identity": "insurer_insured_token",
    "kana_name": "kana_name_loose_token",
    "kana_surname": "kana_surname_loose_token",
    "kana_given": "kana_given_loose_token",
    "kanji_name": "kanji_name_loose_token",
    "birth_date": "birth_date_token",
    "birth_year_month": "birth_year_month_token",
    "sex": "sex_token",
}

con = duckdb.connect()
con.execute("SET preserve_insertion_order = false")

started = time.perf_counter()
columns = ", ".join(f"hex({column}) AS {name}" for name, column in FIELDS.items())
con.execute(
    f"""CREATE TABLE records AS
    SELECT source_file_id, source_line, {columns}
    FROM read_parquet('{TOKENS}', hive_partitioning = true)
    WHERE insurer_insured_token IS NOT NULL"""
)
names = ", ".join(FIELDS)
con.execute(
    f"""CREATE TABLE variants AS
    SELECT row_number() OVER (ORDER BY {names}) AS unique_id, {names}
    FROM (SELECT DISTINCT {names} FROM records)"""
)
settings = SettingsCreator(
    link_type="dedupe_only",
    unique_id_column_name="unique_id",
    # kaigo's blocks: one insurer + number; birth date + sex + given name, surname or kanji name.
    blocking_rules_to_generate_predictions=[
        block_on("identity"),
        block_on("birth_date", "sex", "kana_given"),
        block_on("birth_date", "sex", "kana_surname"),
        block_on("birth_date", "sex", "kanji_name"),
    ],
    comparisons=[
        cl.ExactMatch("identity"),
        cl.ExactMatch("kana_name").configure(term_frequency_adjustments=True),
        cl.ExactMatch("kana_surname"),
        cl.ExactMatch("kana_given"),
        cl.ExactMatch("kanji_name"),
        cl.ExactMatch("birth_date").configure(term_frequency_adjustments=True),
        cl.ExactMatch("birth_year_month"),
        cl.ExactMatch("sex"),
    ],
    retain_intermediate_calculation_columns=False,
    retain_matching_columns=False,
)
linker = Linker(con.table("variants"), settings, DuckDBAPI(connection=con))
linker.training.estimate_probability_two_random_records_match(
    [block_on("birth_date", "sex", "kana_name")], recall=0.8
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date", "sex"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("identity"))
predictions = linker.inference.predict(threshold_match_probability=0.5)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.999)
con.register("clusters_frame", clusters.as_duckdbpyrelation())
con.execute(
    f"""CREATE TABLE splink_records AS
    SELECT records.source_file_id, records.source_line, clusters_frame.cluster_id AS cluster
    FROM records
    JOIN variants USING ({names})
    JOIN clusters_frame ON clusters_frame.unique_id = variants.unique_id"""
)
splink_seconds = time.perf_counter() - started
splink_peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
record_count = con.execute("SELECT count(*) FROM records").fetchone()[0]
variant_count = con.execute("SELECT count(*) FROM variants").fetchone()[0]

# Truth: each record's person, through the file's path.
con.execute(
    f"""CREATE TABLE truth AS
    SELECT files.source_file_id, runs.first_line, runs.last_line, runs.person_id
    FROM read_csv('{hub}/truth/*/records.csv', header = true, all_varchar = true) AS runs
    JOIN (SELECT DISTINCT source_file_id, path
          FROM read_parquet('{warehouse}/warehouse/source_files/**/*.parquet', hive_partitioning = true)) AS files
      ON files.path = runs.file"""
)
con.execute(
    """CREATE TABLE record_truth AS
    SELECT records.source_file_id, records.source_line, truth.person_id
    FROM records JOIN truth
      ON truth.source_file_id = records.source_file_id
     AND records.source_line BETWEEN CAST(truth.first_line AS BIGINT) AND CAST(truth.last_line AS BIGINT)"""
)
con.execute(
    f"""CREATE TABLE kaigo_records AS
    SELECT tokens.source_file_id, tokens.source_line, map.person_key AS cluster
    FROM read_parquet('{TOKENS}', hive_partitioning = true) AS tokens
    JOIN read_parquet('{warehouse}/warehouse/person_map/*.parquet') AS map USING (identity_key)
    WHERE tokens.insurer_insured_token IS NOT NULL"""
)


def pairwise(table: str, level: str) -> dict:
    """Pairwise precision, recall and F1 of `table` (file, line, cluster) over pairs of `level`:
    "records", or "identities" (each with the true person and the cluster of most of its
    records; ties: the smallest)."""
    pairs = lambda group: f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) AS n FROM joined GROUP BY {group})"
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW labelled AS
        SELECT records.identity, predicted.cluster, record_truth.person_id
        FROM {table} AS predicted
        JOIN record_truth USING (source_file_id, source_line)
        JOIN records USING (source_file_id, source_line)"""
    )
    if level == "records":
        con.execute("CREATE OR REPLACE TEMP VIEW joined AS SELECT cluster, person_id FROM labelled")
    else:
        majority = lambda column: f"""(SELECT identity, first({column} ORDER BY n DESC, {column}) AS {column}
            FROM (SELECT identity, {column}, count(*) AS n FROM labelled GROUP BY ALL) GROUP BY identity)"""
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW joined AS
            SELECT clusters.cluster, persons.person_id
            FROM {majority("cluster")} AS clusters JOIN {majority("person_id")} AS persons USING (identity)"""
        )
    predicted = con.execute(pairs("cluster")).fetchone()[0]
    actual = con.execute(pairs("person_id")).fetchone()[0]
    correct = con.execute(pairs("cluster, person_id")).fetchone()[0]
    precision = correct / predicted if predicted else 1.0
    recall = correct / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


print(
    json.dumps(
        {
            "records": record_count,
            "variants": variant_count,
            "splink_seconds": splink_seconds,
            "splink_peak_rss_kb": splink_peak_rss_kb,
            "splink": {level: pairwise("splink_records", level) for level in ("identities", "records")},
            "kaigo": {level: pairwise("kaigo_records", level) for level in ("identities", "records")},
        }
    )
)
