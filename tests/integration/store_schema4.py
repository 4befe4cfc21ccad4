#!/usr/bin/env python3
"""Writes SQLite store DST at schema version 4 with every row of store SRC (schema 5 or later), as a
bootgated of schema 4 (before migration 0005) would have kept them: each attestation's event
log inline in attestations.event_log, no evidence_logs table.

DST is made by running the dialect's own migration scripts 0001-0004 from the source tree
(MIGRATIONS_DIR), recording each in schema_version as bootgated does; then every table's rows
are copied column by column, and each attestation's log is read back from SRC's evidence_logs
(zlib) and checked against its SHA-256. The package test uses it to upgrade a package over an
older store: the new bootgated must migrate DST and serve every verdict of SRC.

usage: store_schema4.py SRC DST MIGRATIONS_DIR
"""
import glob
import hashlib
import os
import sqlite3
import sys
import time
import zlib

src_path, dst_path, migrations_dir = sys.argv[1:4]
if os.path.exists(dst_path):
    sys.exit(f"{dst_path} exists")

src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True)
(src_version,) = src.execute("SELECT MAX(version) FROM schema_version").fetchone()
if src_version < 5:  # 5 moved the logs to evidence_logs; later versions only add tables
    sys.exit(f"{src_path}: schema version {src_version}, expected 5 or later")

dst = sqlite3.connect(dst_path, isolation_level=None)
dst.execute("PRAGMA foreign_keys=OFF")
dst.execute("BEGIN")
dst.execute("CREATE TABLE IF NOT EXISTS schema_version ("
            " version BIGINT PRIMARY KEY NOT NULL, applied_at_us BIGINT NOT NULL)")
scripts = sorted(glob.glob(os.path.join(migrations_dir, "000[1-4]_*.sql")))
if [os.path.basename(s)[:4] for s in scripts] != ["0001", "0002", "0003", "0004"]:
    sys.exit(f"{migrations_dir}: migrations 0001-0004 not found: {scripts}")
for version, script in enumerate(scripts, start=1):
    with open(script, encoding="utf-8") as f:
        sql = f.read()
    # executescript would COMMIT first: run the statements one by one inside the transaction.
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            dst.execute(statement)
            statement = ""
    if statement.strip() and not all(
            l.strip().startswith("--") or not l.strip() for l in statement.splitlines()):
        sys.exit(f"{script}: an incomplete statement at the end")
    dst.execute("INSERT INTO schema_version (version, applied_at_us) VALUES (?, ?)",
                (version, int(time.time() * 1e6)))


def columns(db, table):
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


logs = {}
for digest, codec, raw_size, data in src.execute(
        "SELECT digest, codec, raw_size, data FROM evidence_logs"):
    assert codec == "zlib", codec
    raw = zlib.decompress(data)
    assert len(raw) == raw_size and hashlib.sha256(raw).digest() == digest, digest.hex()
    logs[digest] = raw

tables = [row[0] for row in dst.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table'"
    " AND name NOT IN ('schema_version', 'sqlite_sequence')")]
copied = {}
for table in tables:
    dst_columns = columns(dst, table)
    shared = [c for c in dst_columns if c in columns(src, table)]
    select = ", ".join(shared)
    if table == "attestations":
        select += ", event_log_digest"
    rows = src.execute(f"SELECT {select} FROM {table}").fetchall()
    insert_columns = shared + (["event_log"] if table == "attestations" else [])
    missing = set(dst_columns) - set(insert_columns)
    if missing:
        sys.exit(f"{table}: no source for columns {sorted(missing)}")
    for row in rows:
        if table == "attestations":
            digest = row[-1]
            row = row[:-1] + (logs[digest] if digest is not None else b"",)
        dst.execute(f"INSERT INTO {table} ({', '.join(insert_columns)})"
                    f" VALUES ({', '.join('?' * len(insert_columns))})", row)
    copied[table] = len(rows)
# AUTOINCREMENT counters as SRC had them, so new ids never reuse old ones.
for name, seq in src.execute("SELECT name, seq FROM sqlite_sequence"):
    if name in tables:
        dst.execute("DELETE FROM sqlite_sequence WHERE name = ?", (name,))
        dst.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, seq))
problems = dst.execute("PRAGMA foreign_key_check").fetchall()
if problems:
    sys.exit(f"foreign key violations: {problems[:5]}")
dst.execute("COMMIT")
dst.execute("PRAGMA journal_mode=WAL")
print("schema_version=4 " + " ".join(f"{t}={n}" for t, n in sorted(copied.items())))
