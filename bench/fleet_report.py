#!/usr/bin/env python3
"""The "A store that holds a fleet" section of docs/performance.md, from bench/fleet.sh's work
directory: the fill's summary (fill.json, or fleet.json's record of an earlier fill), the query
plans (explain.md), the reads (read.json), one filled host's Attest (attest.txt), the attestation
rate on the filled and on an empty store (load-filled-N.json, load-empty-N.json for rounds
N = 1, 2, ...) and the retention pass (retention.txt). Prints the section; with a document path,
replaces the section there (or appends it).
  fleet_report.py WORK_DIR sqlite|postgres [docs/performance.md]
"""
import datetime
import json
import os
import re
import statistics
import sys

HEAD_BEGIN = "<!-- store-fleet: written by bench/fleet.sh, do not edit -->"
HEAD_END = "<!-- /store-fleet -->"
NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def markers(store):
    return (f"<!-- store-fleet-{store}: written by bench/fleet.sh, do not edit -->",
            f"<!-- /store-fleet-{store} -->")


def rate_runs(work, kind):
    """[(round, run)] of the rate runs on the `kind` store (load-KIND-N.json), by round."""
    found = []
    for name in os.listdir(work):
        m = re.fullmatch(rf"load-{kind}-(\d+)\.json", name)
        if m:
            run = load(os.path.join(work, name))
            if run:
                found.append((int(m.group(1)), run))
    return sorted(found, key=lambda pair: pair[0])


def head():
    """The section's heading and what every run shares; each store's figures follow it."""
    return "\n".join([
        HEAD_BEGIN, "## A store that holds a fleet", "",
        "`bench/fleet.sh` fills a store with `bootgate_fill_store` (`bench/fill_store.cc`), or "
        "reuses one it filled, and measures bootgated over it. What the fill writes: the schema "
        "by the store's own migrations (`OpenStore`), then bulk rows (SQLite: the fill's own "
        "connection, prepared statements, 100,000 attestations a transaction; PostgreSQL: "
        "COPY). Hosts enrolled, each with its own P-256 AK (a real key derived from its id; "
        "TPM2B_PUBLIC and fingerprint as enrollment stores them) and EK fingerprint; 8 boot "
        "chains (the good-host and hypervisor-host fixtures and 6 captured Debian boots), host i "
        "on chain i mod 8, each chain a policy group learned from it and its event log stored "
        "once in `evidence_logs` (zlib, `server/store/evidence_log`): 8 logs for every "
        "attestation. Attestations round-robin like a fleet re-attesting every 10 minutes, the "
        "last one at the end of the fill, each with its own token id and nonce, a TPMS_ATTEST "
        "carrying them and the host's TPM clock, and its chain's verdict (appraised once under "
        "the learned policy; findings JSON with the row's nonce). Each host's latest attestation "
        "is signed for real (quote by its AK, verdict JWT by the store's signing key); older "
        "rows carry their chain's template signature and JWT (same sizes). `tpm_counters` holds "
        "each AK's latest counters. Verdict TTL 30 days: the latest verdicts stay eligible for "
        "that long after the fill.", "",
        "Reads are measured through bootgated (gRPC on loopback, one client, sequential); the "
        "attestation rate is bench/load.sh's peak run (`bootgate_load --register --rate max`) on "
        "the filled store and on an empty one with the same policy and settings (retention off "
        "in both: `retention { keep_last: 0 }`; one pass with its defaults is timed on its own).",
        "",
        "Reproduce: `bench/fleet.sh` (FLEET_STORE=postgres for PostgreSQL; FLEET_HOSTS, "
        "FLEET_ATTESTATIONS for the size; LOAD_DATA_DIR=DIR fills DIR or reuses its fill; "
        "`--no-write` to print only).",
        HEAD_END]) + "\n"


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def text(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def gib(n):
    return f"{n / 2**30:.2f} GiB"


def ms(x):
    return f"{x:.2f} ms"


def section(work, store):
    name = NAMES[store]
    begin, end = markers(store)
    manifest = load(os.path.join(work, "fleet.json")) or {"runs": [], "fills": []}
    fills = manifest.get("fills", [])
    hosts = sum(r["hosts"] for r in manifest["runs"])
    attestations = sum(r["attestations"] for r in manifest["runs"])
    fill = load(os.path.join(work, "fill.json")) or {}
    reused = fill.get("reused", False)
    today = text(os.path.join(work, "date"), datetime.date.today().isoformat())
    lines = [begin, f"### {name}", ""]
    lines.append(
        f"Measured by `bench/fleet.sh` on {today} (source {text(os.path.join(work, 'revision'), 'unknown')}): "
        f"a {name} store of **{hosts:,} enrolled hosts and {attestations:,} attestations** filled by "
        f"`bootgate_fill_store` (`bench/fill_store.cc`), then bootgated on 127.0.0.1 over it, its "
        f"clients on the same 2 CPUs.")
    settings = text(os.path.join(work, "postgres-settings"))
    if settings:
        lines[-1] += f" PostgreSQL's settings: {settings}."
    lines.append("")
    lines.append("| fill | hosts | attestations | time | attestations/s | size on disk after the fill |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for f in fills:
        lines.append(
            f"| {f.get('at', '?')}{' (reused here)' if reused else ''} | {f['hosts']:,} | "
            f"{f['attestations']:,} | {f['seconds']:.0f} s (hosts {f['hosts_seconds']:.0f} s) | "
            f"{f['attestations_per_s']:,.0f} | {gib(f['size_bytes'])} |")
    size_after = text(os.path.join(work, "size-after"))
    if size_after.isdigit():
        lines.append("")
        lines.append(f"Size on disk at the end of this run ({'the database files' if store == 'sqlite' else 'pg_database_size'}, "
                     f"with what the runs below added): {gib(int(size_after))}.")

    read = load(os.path.join(work, "read.json"))
    prewarm_mb = text(os.path.join(work, "prewarm-mb"))
    vacuum_s = text(os.path.join(work, "vacuum-s"))
    vacuumed = (f" Before them `VACUUM (ANALYZE)` ran over the database, as after any bulk load "
                f"({vacuum_s} s; otherwise the vacuum that the inserts trigger runs through "
                "the measurements)." if vacuum_s else "")
    prewarmed = vacuumed + (
        f" Then the fleet's working set, {int(prewarm_mb):,} MB, was read into "
        "PostgreSQL's buffers (`pg_prewarm`: the hosts table and its key, the attestations' "
        "indexes by host and by id, and the newest hosts/attestations of their heap, where each "
        "host's latest row is), as a server serving its fleet holds it: a bulk load leaves it "
        "out (COPY writes through a small ring of buffers)." if prewarm_mb else "")
    if read:
        lines += ["",
                  f"Reads through bootgated (gRPC on loopback, one client, sequential, "
                  f"{read['requests']:,} calls of each after 200 uncounted; load average when they "
                  f"started: {text(os.path.join(work, 'loadavg-read'))}).{prewarmed}", "",
                  "| call | calls | p50 | p99 | max | calls/s | target | met |",
                  "|---|---:|---:|---:|---:|---:|---|---|"]
        rows = [("Placement.Get, a random host", "placement_get", 2.0),
                ("History.List, one random host, latest 50", "history_list_host_50", 10.0),
                ("latest verdict of a random group (History.List by group, page of 1)",
                 "history_list_group_latest", None)]
        for label, key, target in rows:
            r = read[key]
            met = "-" if target is None else ("yes" if r["p99_ms"] < target else "NO")
            lines.append(
                f"| {label} | {r['count']:,} | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | "
                f"{ms(r['max_ms'])} | {r['per_s']:,.0f} | "
                f"{'-' if target is None else f'p99 < {target:g} ms'} | {met} |")
        errors = read.get("errors", {})
        lines += ["", "Errors: " + (", ".join(f"{k}: {v}" for k, v in errors.items()) if errors else "none") +
                  " (each Placement.Get must find its host eligible with its own verdict, each "
                  "History.List page hold the host's attestations)."]
    attest = text(os.path.join(work, "attest.txt"))
    if attest:
        lines += ["", f"An Attest as a filled host (its AK, its chain, its TPM clock moved on past "
                      f"the stored baseline): `{attest.splitlines()[-1]}`."]

    runs = {kind: rate_runs(work, kind) for kind in ("filled", "empty")}
    if runs["filled"] or runs["empty"]:
        lines += ["",
                  f"Attestation rate: `bootgate_load --register --rate max` (bench/load.sh's peak "
                  f"run) on the filled store and on an empty one, same policy and settings, both "
                  f"servers up and loaded in turn (filled, then empty, each round):", "",
                  "| round | store | attestations/s | Attest p50 | Attest p99 | errors | generator CPU | load avg |",
                  "|---:|---|---:|---:|---:|---:|---:|---|"]
        rounds = max(n for kind_runs in runs.values() for n, _ in kind_runs)
        for n in range(1, rounds + 1):
            for kind in ("filled", "empty"):
                run = dict(runs[kind]).get(n)
                if not run:
                    lines.append(f"| {n} | {kind} | (no run) | | | | | |")
                    continue
                cpu = 100 * run["client_cpu_s"] / run["elapsed_s"] if run["elapsed_s"] else 0
                lines.append(
                    f"| {n} | {kind} | {run['attestations_per_s']:,.0f} | "
                    f"{ms(run['attest']['p50_ms'])} | {ms(run['attest']['p99_ms'])} | "
                    f"{run['error_count']} | {cpu:.0f}% | "
                    f"{text(os.path.join(work, f'loadavg-{kind}-{n}'))} |")
        filled, empty = dict(runs["filled"]), dict(runs["empty"])
        ratios = [filled[n]["attestations_per_s"] / empty[n]["attestations_per_s"]
                  for n in sorted(filled) if n in empty and empty[n]["attestations_per_s"] > 0]
        if ratios:
            ratio = statistics.median(ratios)
            lines += ["", f"Filled / empty, each round: "
                          f"{', '.join(f'{r:.2f}x' for r in ratios)}; median {ratio:.2f}x "
                          f"(target at least 0.8x: {'yes' if ratio >= 0.8 else 'NO'}). Each round's "
                          f"two runs follow each other, so their ratio is the least moved by the "
                          f"machine's speed changing over the minutes of the whole series."]
    else:
        lines += ["", "Attestation rate: not measured in this run (FLEET_LOAD=0: it adds its agents' "
                      "hosts and attestations to a reused store)."]

    retention = text(os.path.join(work, "retention.txt"))
    if retention:
        m = re.search(r"ms=(\d+)", retention)
        took = f"{int(m.group(1)) / 1000:,.1f} s" if m else "?"
        lines += ["", f"One retention pass with its defaults (keep each host's last 100 and 30 "
                      f"days), as bootgated runs it at start and every hour: {took} "
                      f"(`{retention}`); the runs above had it off (`retention {{ keep_last: 0 }}`)."]

    explain = text(os.path.join(work, "explain.md"))
    if explain:
        lines += ["", f"Query plans on the filled store (`bootgate_fill_store explain`: "
                      f"{'EXPLAIN QUERY PLAN' if store == 'sqlite' else 'EXPLAIN'} of the "
                      f"statements `server/store/sql_store.cc` runs):", ""]
        lines += [re.sub(r"^### ", "- ", line) for line in explain.splitlines()]

    lines.append(end)
    return "\n".join(lines) + "\n"


def replace_or_insert(body, begin, end, text, after=None):
    """`text` in place of the block begin..end of `body`, else after the block ending at `after`
    (else at the end)."""
    start, stop = body.find(begin), body.find(end)
    if start >= 0 and stop > start:
        return body[:start] + text.rstrip("\n") + body[stop + len(end):]
    at = body.find(after) if after else -1
    if at >= 0:
        at += len(after)
        return body[:at] + "\n\n" + text.rstrip("\n") + body[at:]
    return body.rstrip("\n") + "\n\n" + text


def main(work, store, doc=None):
    out = section(work, store)
    print(head())
    print(out)
    if not doc:
        return
    body = open(doc).read() if os.path.exists(doc) else "# Performance\n"
    body = replace_or_insert(body, HEAD_BEGIN, HEAD_END, head())
    # SQLite's figures first, then PostgreSQL's, each replaced by its own next run.
    after = HEAD_END if store == "sqlite" or markers("sqlite")[1] not in body else markers("sqlite")[1]
    body = replace_or_insert(body, *markers(store), out, after=after)
    with open(doc, "w") as f:
        f.write(body)
    print(f"bench: wrote the {NAMES[store]} figures of the fleet section of {doc}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or sys.argv[2] not in ("sqlite", "postgres"):
        sys.exit(__doc__)
    main(*sys.argv[1:])
