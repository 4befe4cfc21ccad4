#!/usr/bin/env python3
"""Compares the final PCRs that tpm2_eventlog computes from a log with tpm2_pcrread's values
from the TPM that was extended, and checks that they differ exactly in the expected PCRs.

usage: fixtures_compare_pcrs.py EVENTLOG_YAML PCRREAD_YAML EXPECTED_DIFF (comma list or "")
"""
import sys
import yaml

SIZES = {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}


def norm(bank, value):
    # PyYAML reads 0x... as an integer; keep every value as fixed-width lowercase hex.
    if isinstance(value, int):
        return "%0*x" % (2 * SIZES[bank], value)
    return str(value).lower().removeprefix("0x")


def main():
    log = yaml.safe_load(open(sys.argv[1]))
    tpm = yaml.safe_load(open(sys.argv[2]))
    expected = {int(p) for p in sys.argv[3].split(",") if p}
    replayed = log.get("pcrs") or {}
    if not replayed:
        sys.exit("tpm2_eventlog reported no PCRs")
    differ, compared = set(), 0
    for bank, values in replayed.items():
        for pcr, value in values.items():
            mine = norm(bank, value)
            theirs = norm(bank, tpm[bank][int(pcr)])
            compared += 1
            if mine != theirs:
                differ.add(int(pcr))
                print(f"  {bank} PCR {pcr}: log {mine} != TPM {theirs}")
    if differ != expected:
        sys.exit(f"PCRs that differ: {sorted(differ)}, expected {sorted(expected)}")
    print(f"  {compared} PCR values compared; differences exactly as expected: {sorted(differ)}")


main()
