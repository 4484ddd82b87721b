#!/bin/sh
# First start only: Conduit's own database and role, separate from Temporal's.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE conduit LOGIN PASSWORD '${CONDUIT_DB_PASSWORD}';
CREATE DATABASE conduit OWNER conduit;
SQL
