"""The reference for the client-compatibility suite: a real PostgreSQL server.

Starts a throw-away PostgreSQL server (Debian's `postgresql` package, installed by
scripts/system-packages.sh) on a free loopback port, loads tables of the warehouse's shape
(`dim_persons`, `fct_person_months`, `dim_insurer_months` in schema `warehouse`, the analyst's
search path), runs the checks of clients.py against it as a SCRAM-authenticated login role and
prints their results as JSON. What passes here must pass on `kaigo serve` (tests/clients/mod.rs).
Reads nothing on stdin that it uses.
"""

import glob
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile

PASSWORD = "reference password"
TABLES = """
create schema warehouse;
create table warehouse.dim_persons (
    person_key text not null,
    sex_code integer not null,
    first_certified_month_key integer
);
insert into warehouse.dim_persons
select md5(i::text), 1 + i % 2, case when i % 7 = 0 then null else 202604 + i % 9 end
from generate_series(1, 1000) as i;
create table warehouse.fct_person_months (
    person_key text not null,
    month_key integer not null,
    cost_yen bigint,
    is_facility boolean not null
);
insert into warehouse.fct_person_months
select person_key, month_key, (length(person_key) * month_key) % 300000, month_key % 3 = 0
from warehouse.dim_persons
cross join (values (202610), (202611), (202612), (202701), (202702)) as months (month_key)
where sex_code = 1 or month_key >= 202701;
create table warehouse.dim_insurer_months (insurer_number text not null, month_key integer not null);
insert into warehouse.dim_insurer_months values ('131016', 202611), ('131016', 202612), ('271004', 202612);
create role ana login password '{password}';
alter role ana set search_path = warehouse;
grant connect on database kaigo to ana;
grant usage on schema warehouse to ana;
grant select on all tables in schema warehouse to ana;
"""


def program(name):
    """A PostgreSQL server program: on PATH, else in Debian's versioned folder (newest)."""
    found = shutil.which(name) or (sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [None])[-1]
    if found is None:
        sys.exit(f"reference.py: no {name}: run scripts/system-packages.sh (Debian's postgresql)")
    return found


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    # The server refuses to run as root: run it as the package's `postgres` user then.
    as_server = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = pathlib.Path(tempfile.mkdtemp(prefix="kaigo-reference-pg-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    (folder / "password").write_text(PASSWORD)
    if as_server:
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
        shutil.chown(folder / "password", "postgres")
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": sys.stderr}
    try:
        subprocess.run(
            as_server + [program("initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
                         "--auth-host=scram-sha-256", f"--pwfile={folder / 'password'}", "-E", "UTF8",
                         "--locale=C"],
            check=True, **quiet,
        )
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            as_server + [program("pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
            check=True, **quiet,
        )
        psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(sockets), "-p", str(port), "-U", "postgres"]
        subprocess.run(psql + ["-d", "postgres", "-c", "create database kaigo"], check=True, **quiet)
        subprocess.run(psql + ["-d", "kaigo", "-c", TABLES.format(password=PASSWORD)], check=True, **quiet)
        request = {"host": "127.0.0.1", "port": port, "user": "ana", "password": PASSWORD}
        checks = pathlib.Path(__file__).with_name("clients.py")
        done = subprocess.run(
            [sys.executable, str(checks)], input=json.dumps(request), capture_output=True, text=True, check=True
        )
        sys.stderr.write(done.stderr)
        sys.stdout.write(done.stdout)
    finally:
        subprocess.run(as_server + [program("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], **quiet)
        shutil.rmtree(folder, ignore_errors=True)


main()
