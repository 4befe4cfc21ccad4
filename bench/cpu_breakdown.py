"""Where bootgated's CPU goes, from `perf script` of a `perf record --call-graph dwarf` of it.

  perf script -i perf.data -F ip,sym,dso | python3 bench/cpu_breakdown.py > breakdown.json

Each sample goes to the part of the service of its innermost frame that names one (walking from
the sampled instruction towards the thread's start), so a malloc or a futex wait inside the store
counts as the store. Parts: appraisal (quote check, AK, event log, boot state, policy), JWT
(signing the verdict), token (challenge tokens), store (SQLite or libpq, commits and waits for
them), gRPC (the library: transport, polling, its threads), other (request handling,
conversions, logging, metrics, the allocator outside those parts) and kernel (scheduling and
other kernel work with no part above it). Prints {"samples": N, "parts": {part: fraction}}."""
import json
import re
import sys

# (part, pattern on "symbol (dso)"), tried in this order on each frame.
PARTS = (
    ("JWT", re.compile(r"bootgate::server::(SignVerdict|SignJwt)")),
    ("token", re.compile(r"bootgate::server::(TokenService|QualifyingData)")),
    ("store", re.compile(r"bootgate::server::store::")),
    ("appraisal", re.compile(
        r"bootgate::(appraisal|eventlog|bootstate|policy|tpm)::|bootgate::service::AkCache")),
    ("gRPC", re.compile(r"\((/\S*/)?lib(grpc|gpr)\S*\)$|^grpc(::|_)")),
)
ORDER = ("appraisal", "JWT", "token", "store", "gRPC", "other", "kernel")


def frames(stream):
    """Each sample's frames, innermost first, as "symbol (dso)" strings."""
    sample = []
    for line in stream:
        line = line.strip()
        if not line:
            if sample:
                yield sample
            sample = []
            continue
        parts = line.split(None, 1)
        if len(parts) == 2 and re.fullmatch(r"[0-9a-f]+", parts[0]):
            sample.append(parts[1])
    if sample:
        yield sample


def part_of(sample):
    for frame in sample:
        for name, pattern in PARTS:
            if pattern.search(frame):
                return name
    return "kernel" if sample and "[kernel.kallsyms]" in sample[0] else "other"


def main():
    counts = {name: 0 for name in ORDER}
    total = 0
    for sample in frames(sys.stdin):
        counts[part_of(sample)] += 1
        total += 1
    if total == 0:
        raise SystemExit("cpu_breakdown: no samples")
    json.dump({"samples": total, "parts": {k: counts[k] / total for k in ORDER}}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
