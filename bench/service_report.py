"""The "Service, end to end" section of docs/performance.md, from what bench/load.sh left in its
work directory: inprocess.json (Google Benchmark, BM_AppraiseEvidence), and per store
(sqlite/, postgres/) peak.json and half.json (bootgate_load --json), metrics-0/1/2.txt
(bootgated's /metrics before the peak run, after it, after the half-peak run) and loadavg-*."""
import datetime
import json
import os
import re
import subprocess

BEGIN = "<!-- service-end-to-end: written by bench/load.sh, do not edit -->"
END = "<!-- /service-end-to-end -->"
P99_TARGET_MS = 20.0
# Issue 14: a million hosts re-attesting every 10 minutes (1,700/s) through one 2-core machine.
PEAK_TARGETS = {"SQLite": 1700, "PostgreSQL": 1200}
STORES = (("sqlite", "SQLite"), ("postgres", "PostgreSQL"))


def existing_section(doc):
    """The service section of `doc` (markers included, trailing newline), or None."""
    if not doc or not os.path.exists(doc):
        return None
    text = open(doc).read()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    return text[start:end + len(END)] + "\n"


def existing_section_and_rest(doc):
    """The service section of `doc` and everything after it (trailing newline), or None."""
    if not doc or not os.path.exists(doc):
        return None
    text = open(doc).read()
    start = text.find(BEGIN)
    if start < 0 or text.find(END) < start:
        return None
    return text[start:].rstrip("\n") + "\n"


def _metrics(path):
    """{(name, frozenset(labels)): value} of a Prometheus text exposition."""
    out = {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)$')
    for line in open(path):
        m = line_re.match(line.strip())
        if not m:
            continue
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def _mean_ms(before, after, name, labels=()):
    """Mean of a histogram between two scrapes, in ms (None when nothing was observed)."""
    key = frozenset(labels)
    count = after.get((name + "_count", key), 0) - before.get((name + "_count", key), 0)
    total = after.get((name + "_sum", key), 0) - before.get((name + "_sum", key), 0)
    return 1000 * total / count if count > 0 else None


def _p99_bound_ms(before, after, name, labels=()):
    """The upper bound (ms) of the histogram bucket holding the 99th percentile between two
    scrapes: "p99 <= this" (None when nothing was observed; inf past the last bucket)."""
    buckets = []
    for (key, labelset), value in after.items():
        if key != name + "_bucket":
            continue
        d = dict(labelset)
        le = d.pop("le")
        if set(d.items()) != set(labels):
            continue
        buckets.append((float(le), value - before.get((key, labelset), 0)))
    buckets.sort()
    if not buckets or buckets[-1][1] <= 0:
        return None
    for le, cumulative in buckets:
        if cumulative >= 0.99 * buckets[-1][1]:
            return 1000 * le
    return float("inf")


def _tail_note(server_p99, store_p99):
    """Whether the store write explains the tail of Attest (same or next-lower bucket)."""
    if server_p99 is None or store_p99 is None:
        return ""
    if store_p99 >= server_p99 / 2.5:
        return ": the slow Attest calls are slow store writes (durable commits)"
    return ": the tail is not the store write's (CPU or queueing before it)"


def _load(path):
    with open(path) as f:
        return json.load(f)


def _loadavg(path):
    return open(path).read().strip() if os.path.exists(path) else "?"


def _inprocess(path):
    """(rate of the good host with the P-256 AK the generator signs with, per CPU second; mean ms per appraisal)."""
    data = _load(path)
    for b in data["benchmarks"]:
        if b.get("aggregate_name") == "median" and b["run_name"] == "BM_AppraiseEvidence/0/1":
            return b["items_per_second"], 1000.0 / b["items_per_second"]
    raise SystemExit("service_report: no BM_AppraiseEvidence/0/1 median in " + path)


def _optional_json(path):
    return json.load(open(path)) if os.path.exists(path) else None


def cpu_lines(stores):
    """CPU per attestation at the peak: bootgated (by part, when perf sampled it), PostgreSQL,
    the generator."""
    lines = ["", "CPU per attestation at the peak (CPU seconds the processes used during the "
             "peak run, from /proc, divided by the attestations; bootgated's parts from "
             "`perf record --call-graph dwarf` of it for 6 s of that run, each sample given to "
             "the innermost part of the service on its stack, `bench/cpu_breakdown.py`):", "",
             "| store | bootgated | of which appraisal | gRPC | token | JWT | store | other | "
             "kernel | PostgreSQL | generator | total | CPUs at the peak rate |",
             "|---|" + "---:|" * 12]
    for s in stores:
        peak, cpu, parts = s["peak"], s["cpu"], s["breakdown"]
        n = peak["verdicts"] if "verdicts" in peak else None
        if not cpu or not n:
            continue
        server_ms = 1000 * cpu["bootgated_cpu_s"] / n
        postgres_ms = 1000 * cpu["postgres_cpu_s"] / n
        generator_ms = 1000 * peak["client_cpu_s"] / n
        total = server_ms + postgres_ms + generator_ms
        if parts:
            shares = [f"{server_ms * parts['parts'][k]:.3f}" for k in
                      ("appraisal", "gRPC", "token", "JWT", "store", "other", "kernel")]
        else:
            shares = ["(no perf)"] * 7
        lines.append(f"| {s['label']} | {server_ms:.3f} | " + " | ".join(shares)
                     + f" | {postgres_ms:.3f} | {generator_ms:.3f} | {total:.3f} "
                     f"| {total * peak['attestations_per_s'] / 1000:.2f} |")
    lines += ["", "All in ms of CPU per attestation (a Challenge and an Attest). gRPC is the "
              "library (transport, polling, its threads); other is request handling, "
              "conversions, logging, metrics and the allocator outside the other parts; kernel "
              "is scheduling and kernel work with no part above it (a commit's fsync counts as "
              "the store). The last column is total x rate: at 2 the machine is full."]
    return lines


def build_revision():
    """`git describe --always --dirty` of the source tree: what code the figures are of."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _ms(x):
    return "-" if x is None else f"{x:.2f}"


def _errors(run):
    if not run["error_count"]:
        return "0"
    return f"{run['error_count']} (" + ", ".join(f"{k}: {n}" for k, n in run["errors"].items()) + ")"


def section(load_dir):
    rate, appraisal_ms = _inprocess(os.path.join(load_dir, "inprocess.json"))
    stores = []
    for key, label in STORES:
        d = os.path.join(load_dir, key)
        if not os.path.exists(os.path.join(d, "half.json")):
            continue
        m = [_metrics(os.path.join(d, f"metrics-{i}.txt")) for i in range(3)]
        store = "bootgate_store_latency_seconds"
        op = [("operation", "record_attestation")]
        stores.append({
            "label": label,
            "peak": _load(os.path.join(d, "peak.json")),
            "half": _load(os.path.join(d, "half.json")),
            "server_attest_ms": [_mean_ms(m[0], m[1], "bootgate_attest_latency_seconds"),
                                 _mean_ms(m[1], m[2], "bootgate_attest_latency_seconds")],
            "store_ms": [_mean_ms(m[0], m[1], store, op), _mean_ms(m[1], m[2], store, op)],
            "server_p99": [_p99_bound_ms(m[0], m[1], "bootgate_attest_latency_seconds"),
                           _p99_bound_ms(m[1], m[2], "bootgate_attest_latency_seconds")],
            "store_p99": [_p99_bound_ms(m[0], m[1], store, op), _p99_bound_ms(m[1], m[2], store, op)],
            "loadavg": [_loadavg(os.path.join(d, "loadavg-peak")),
                        _loadavg(os.path.join(d, "loadavg-half"))],
            "cpu": _optional_json(os.path.join(d, "cpu-peak.json")),
            "breakdown": _optional_json(os.path.join(d, "breakdown.json")),
        })
    if not stores:
        raise SystemExit("service_report: no store runs in " + load_dir)
    first = stores[0]["peak"]

    lines = [BEGIN, "## Service, end to end", "",
             f"Measured by `bench/load.sh` on {datetime.date.today().isoformat()}: bootgated on "
             f"127.0.0.1 with each store, loaded by `bootgate_load` ({first['agents']} agents, "
             f"one gRPC channel each, Challenge -> quote signed in-process by a software "
             f"{first['ak']} AK -> Attest, the good-host evidence under its policy), first at the "
             f"highest rate it sustains (peak), then at half that rate. The generator runs on "
             f"the same {os.cpu_count()} CPUs as the server. Load average (1, 5, 15 min) when "
             f"the run started: {_loadavg(os.path.join(load_dir, 'loadavg-start'))}; source "
             f"{build_revision()} ({os.environ.get('BOOTGATE_BUILD_TYPE', 'unknown')}).", "",
             f"In-process full appraisal of the same evidence under the same policy "
             f"(`BM_AppraiseEvidence`, {first['ak']} AK, one thread, per CPU second): "
             f"**{rate:,.0f} appraisals/s** ({appraisal_ms:.2f} ms each).", "",
             "| store | run | offered | attestations/s | x in-process | Attest p50 | Attest p99 "
             "| Attest max | round p50 | round p99 | server Attest mean | store write mean "
             "| errors | load avg |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for s in stores:
        for i, (run_name, run) in enumerate((("peak", s["peak"]), ("half peak", s["half"]))):
            offered = "max" if run["rate"] == "max" else f"{run['rate']:,.0f}/s"
            ratio_cell = f"{run['attestations_per_s'] / rate:.2f}x" if i == 0 else "-"
            lines.append(
                f"| {s['label']} | {run_name} | {offered} | {run['attestations_per_s']:,.0f} "
                f"| {ratio_cell} | {_ms(run['attest']['p50_ms'])} ms "
                f"| {_ms(run['attest']['p99_ms'])} ms | {_ms(run['attest']['max_ms'])} ms "
                f"| {_ms(run['round']['p50_ms'])} ms | {_ms(run['round']['p99_ms'])} ms "
                f"| {_ms(s['server_attest_ms'][i])} ms | {_ms(s['store_ms'][i])} ms "
                f"| {_errors(run)} | {s['loadavg'][i]} |")

    lines += ["", "| target | " + " | ".join(s["label"] for s in stores) + " |",
              "|---|" + "---|" * len(stores)]
    peak_cells, p99_cells, error_cells = [], [], []
    for s in stores:
        peak = s["peak"]["attestations_per_s"]
        goal = PEAK_TARGETS[s["label"]]
        p99 = s["half"]["attest"]["p99_ms"]
        peak_cells.append(f"{peak:,.0f} >= {goal:,}: {'yes' if peak >= goal else 'NO'}")
        p99_cells.append(f"{p99:.2f} ms: {'yes' if p99 < P99_TARGET_MS else 'NO'}")
        errors = _errors(s["peak"]), _errors(s["half"])
        error_cells.append("yes" if errors == ("0", "0") else f"NO ({errors[0]}; {errors[1]})")
    lines.append("| attestations/s at the peak (issue 14: 1,700 SQLite, 1,200 PostgreSQL) | "
                 + " | ".join(peak_cells) + " |")
    lines.append(f"| Attest p99 < {P99_TARGET_MS:.0f} ms at half the peak rate | "
                 + " | ".join(p99_cells) + " |")
    lines.append("| 0 errors in both runs | " + " | ".join(error_cells) + " |")
    lines += cpu_lines(stores)

    lines += ["", "What the time goes to (server-side means from bootgated's own histograms, "
              "`bootgate_attest_latency_seconds` and `bootgate_store_latency_seconds{operation=\""
              "record_attestation\"}`, between scrapes of /metrics before and after each run):", ""]
    for s in stores:
        for i, run_name in enumerate(("peak", "half peak")):
            server, store = s["server_attest_ms"][i], s["store_ms"][i]
            if server is None or store is None:
                continue
            rest = max(0.0, server - store - appraisal_ms)
            dominant = max((("the store write (durable commit)", store),
                            ("the appraisal", appraisal_ms),
                            ("the rest (token check, JWT signing, conversion, queueing)", rest)),
                           key=lambda x: x[1])[0]
            lines.append(f"- {s['label']}, {run_name}: an Attest takes {server:.2f} ms in the "
                         f"server on average: store write {store:.2f} ms "
                         f"({100 * store / server:.0f}%), appraisal about {appraisal_ms:.2f} ms, "
                         f"rest {rest:.2f} ms; {dominant} dominates. Tails (histogram bucket "
                         f"holding the p99): server Attest p99 <= {_ms(s['server_p99'][i])} ms, "
                         f"store write p99 <= {_ms(s['store_p99'][i])} ms"
                         + _tail_note(s["server_p99"][i], s["store_p99"][i]) + ".")
    missed = [s["label"] for s in stores
              if s["peak"]["attestations_per_s"] < PEAK_TARGETS[s["label"]]
              or s["half"]["attest"]["p99_ms"] >= P99_TARGET_MS]
    cpu = ", ".join(f"{s['label']} {100 * s['peak']['client_cpu_s'] / s['peak']['elapsed_s']:.0f}%"
                    for s in stores if s["peak"]["elapsed_s"] > 0)
    lines += ["", f"The generator itself used this much of one CPU during the peak runs "
              f"(signing quotes, gRPC client): {cpu}; on this machine that CPU is taken from the "
              f"server. The in-process figure is per CPU second of one thread, so the ratio "
              f"compares the whole machine serving (and loading itself) against one core "
              f"appraising."]
    if missed:
        lines += ["", "Targets missed with " + ", ".join(missed) + ": see what dominates above."]
    busiest = max(float(s["loadavg"][i].split()[0]) for s in stores for i in (0, 1)
                  if s["loadavg"][i] != "?")
    if busiest > (os.cpu_count() or 1):
        lines += ["", f"The 1-minute load average reached {busiest:.2f} on {os.cpu_count()} CPUs "
                  f"as these runs started (it counts this benchmark's own server and generator "
                  f"after a previous run, and whatever else the machine was doing): above the "
                  f"CPU count, processes waited for a CPU, and that waiting is in the latencies "
                  f"above, most in the tails."]
    lines += ["",
              "Latency columns: `Attest` is the Attest call alone as the agent sees it; `round` "
              "is Challenge + signing the quote + Attest. p99 is the nearest-rank percentile of "
              "every call in the run; errors are by gRPC status code. Each run is bounded in "
              "count and time and stops by itself.",
              "",
              "Reproduce: `bench/load.sh` (`--no-write` to print only; LOAD_AGENTS, LOAD_SECONDS, "
              "LOAD_REQUESTS, LOAD_STORES to change the runs).",
              END]
    return "\n".join(lines) + "\n"


def main(load_dir, doc):
    text = section(load_dir)
    print(text)
    if not doc:
        return
    body = open(doc).read() if os.path.exists(doc) else (
        "# Performance\n\nThe verifier's own figures are written by `bench/run.sh`.\n")
    old = existing_section(doc)
    if old:
        body = body.replace(old.rstrip("\n"), text.rstrip("\n"), 1)
    else:
        body = body.rstrip("\n") + "\n\n" + text
    with open(doc, "w") as f:
        f.write(body)
    print(f"bench: wrote the service section of {doc}")
