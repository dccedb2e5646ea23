#!/usr/bin/env bash
# System programs the tests drive as real clients: psql (the Postgres endpoint), a PostgreSQL
# server (the clients' reference), the PostgreSQL ODBC and JDBC drivers (with a Java runtime),
# openssl (a test certificate for its TLS) and Chromium (the dashboard, headless). Installed with
# apt when missing (Debian/Ubuntu; sudo when not root); anything else must be installed by hand.
set -euo pipefail
missing=()
command -v psql >/dev/null || missing+=(postgresql-client)
# A PostgreSQL server, the reference the client-compatibility suite compares kaigo serve with.
command -v initdb >/dev/null || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
# ODBC: unixODBC and the PostgreSQL ODBC driver (psqlODBC), as Excel and Tableau use them.
odbcinst -q -d 2>/dev/null | grep -q "PostgreSQL Unicode" || missing+=(unixodbc odbc-postgresql)
# JDBC: Debian's PostgreSQL JDBC driver (DBeaver's and Metabase's), and a JDK: the check runs
# as a single source file, which needs the compiler a bare runtime lacks.
command -v javac >/dev/null || missing+=(default-jdk-headless)
[ -f /usr/share/java/postgresql.jar ] || missing+=(libpostgresql-jdbc-java)
command -v openssl >/dev/null || missing+=(openssl)
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing+=(chromium)
# A Japanese font, so the dashboard's screenshots show text rather than empty boxes.
fc-list :lang=ja 2>/dev/null | grep -q . || missing+=(fonts-ipafont-gothic)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "scripts/system-packages.sh: install ${missing[*]} (no apt-get here)" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "scripts/system-packages.sh: installing ${missing[*]}" >&2
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
