#!/usr/bin/env python3
"""Appends EV_IPL events to a crypto-agile TCG event log until it reaches a size, and prints
the digests to extend, one event a line: "PCR sha1=HEX,sha256=HEX" (the banks the log's
Spec ID header declares, as tpm2_pcrextend takes them). Each event's data is printable text
whose digests are the event's, so the grown log is valid for a TPM whose PCR got them.

  eventlog_grow.py IN OUT --size BYTES [--pcr 14] [--event-bytes 1040000]
"""
import argparse
import hashlib
import struct
import sys

ALGS = {0x0004: ("sha1", 20), 0x000B: ("sha256", 32), 0x000C: ("sha384", 48),
        0x000D: ("sha512", 64)}
EV_IPL = 0x0000000D


def spec_id_algorithms(log):
    # The first event is in the legacy SHA-1 format: PCR, type, 20-byte digest, size, data.
    size = struct.unpack_from("<I", log, 28)[0]
    data = log[32:32 + size]
    if not data.startswith(b"Spec ID Event03"):
        sys.exit("eventlog_grow: not a crypto-agile log")
    count = struct.unpack_from("<I", data, 24)[0]
    algs = []
    for k in range(count):
        alg, _ = struct.unpack_from("<HH", data, 28 + 4 * k)
        if alg not in ALGS:
            sys.exit(f"eventlog_grow: unknown algorithm {alg:#x}")
        algs.append(alg)
    return algs


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--pcr", type=int, default=14)
    p.add_argument("--event-bytes", type=int, default=1040000)
    a = p.parse_args()
    log = bytearray(open(a.input, "rb").read())
    algs = spec_id_algorithms(log)
    header = 4 + 4 + 4 + sum(2 + ALGS[alg][1] for alg in algs) + 4
    k = 0
    while True:
        room = a.size - len(log) - header
        if room <= 0:
            break
        n = min(a.event_bytes, room)
        line = f"bootgate large log filler {k} ".encode()
        data = (line * (n // len(line) + 1))[:n]
        digests = {alg: hashlib.new(ALGS[alg][0], data).digest() for alg in algs}
        log += struct.pack("<III", a.pcr, EV_IPL, len(algs))
        for alg in algs:
            log += struct.pack("<H", alg) + digests[alg]
        log += struct.pack("<I", n) + data
        print(f"{a.pcr} " + ",".join(f"{ALGS[alg][0]}={digests[alg].hex()}" for alg in algs))
        k += 1
    open(a.output, "wb").write(log)


if __name__ == "__main__":
    main()
