"""The DuckDB side of benches/ingest_vs_duckdb.sh: the same delivery, the same job, done by DuckDB.

The job kaigo does, minus what DuckDB cannot do (validation, quarantine, per-field
normalisation): decode the MS932 files (DuckDB reads UTF-8 only without a network-installed
extension, so they are transcoded first — counted in DuckDB's time, as it is part of the job),
parse every CSV, hash the identifier fields with a keyed SHA-256 (sha256(key || value)), and
write zstd Parquet. Prints one JSON line: seconds, files, bytes.

Usage: python ingest_vs_duckdb.py DELIVERY_DIR OUT_DIR
"""

import json
import pathlib
import sys
import time

import duckdb

delivery, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
KEY = "0" * 64
started = time.monotonic()

# 1. MS932 → UTF-8 (everything but life.csv, which is UTF-8 already).
utf8 = out / "utf8"
files = sorted(path for path in delivery.rglob("*") if path.is_file())
total_bytes = 0
for path in files:
    target = utf8 / path.relative_to(delivery)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = path.read_bytes()
    total_bytes += len(data)
    if path.name != "life.csv":
        data = data.decode("cp932").encode("utf-8")
    target.write_bytes(data)

connection = duckdb.connect()
connection.execute("SET threads = 2")


def copy(select, name):
    connection.execute(
        f"COPY ({select}) TO '{out / name}.parquet' (FORMAT parquet, COMPRESSION zstd)"
    )


def token(column):
    return f"sha256('{KEY}' || coalesce({column}, ''))"


# 2. Claims: control, data and end records of varying width in one file.
claims = str(utf8 / "*" / "d*.csv")
columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(64))
copy(
    f"""SELECT filename, c0 AS record_type, c2 AS exchange_id, c3 AS record_kind, c4 AS service_month,
               c5 AS provider_number, c6 AS insurer_number, {token('c7')} AS insured_token,
               * EXCLUDE (c7)
        FROM read_csv('{claims}', header = false, columns = {{{columns}}}, null_padding = true,
                      auto_detect = false, delim = ',', quote = '"', escape = '"', filename = true)
        WHERE c0 = '2'""",
    "claims",
)
# 3. Person extracts with a header: hash the identifiers, keep the rest.
for name, identifiers in {
    "certification": ["被保険者番号", "氏名カナ", "生年月日"],
    "register": ["被保険者番号", "氏名カナ", "氏名", "生年月日"],
    "life": ["被保険者番号", "氏名", "生年月日"],
}.items():
    pattern = str(utf8 / "*" / f"{name}.csv")
    hashed = ", ".join(f'{token(chr(34) + column + chr(34))} AS "{column}_token"' for column in identifiers)
    excluded = ", ".join(f'"{column}"' for column in identifiers)
    copy(
        f"SELECT * EXCLUDE ({excluded}), {hashed} FROM read_csv('{pattern}', header = true, all_varchar = true, union_by_name = true)",
        name,
    )
# 4. Care plans (no header; one layout per file prefix).
for prefix in ["UP1KYO", "UP2KYO", "UPPLAN", "UPJSK", "UPHOSOKU"]:
    plans = sorted(utf8.glob(f"*/{prefix}_*.CSV"))
    if plans:
        copy(
            f"SELECT * FROM read_csv({[str(path) for path in plans]}, header = false, all_varchar = true, union_by_name = true)",
            prefix.lower(),
        )
for name in ["provider_activity", "insurers", "providers"]:
    pattern = str(utf8 / "*" / f"{name}.csv") if name == "provider_activity" else str(utf8 / f"{name}.csv")
    copy(f"SELECT * FROM read_csv('{pattern}', header = true, all_varchar = true)", name)

seconds = time.monotonic() - started
print(json.dumps({"seconds": round(seconds, 2), "files": len(files), "bytes": total_bytes}))
