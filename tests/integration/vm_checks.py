#!/usr/bin/env python3
"""Checks on what a real QEMU/OVMF guest sent (tests/integration/vm_test.sh).

  vm_checks.py replay SHOW_JSON TPM2_EVENTLOG_YAML FILES_DIR
      bootgate's replay (`eventlog show --json`) equals the guest kernel's PCRs
      (FILES_DIR/pcrs-<bank>.txt, "N HEX" lines) in every bank, and equals tpm2_eventlog's
      replay on the PCRs the log extends. The others must hold their reset value in the guest,
      except PCR 10 (IMA's, extended by the kernel after the firmware log ends).
  vm_checks.py kernel JSON DIGEST
      the boot-chain section of JSON (`eventlog show --json` or `policy check --json`) names
      an image as the kernel, with DIGEST (its Authenticode SHA-256).
  vm_checks.py applications SHOW_JSON
      prints the SHA-256 digest of each PCR 4 EV_EFI_BOOT_SERVICES_APPLICATION, one a line.
"""
import json
import re
import sys

import yaml


def guest_pcrs(files_dir, bank):
    pcrs = {}
    with open(f"{files_dir}/pcrs-{bank}.txt") as f:
        for line in f:
            n, value = line.split()
            pcrs[int(n)] = value.lower()
    return pcrs


def tpm2_eventlog_pcrs(path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    out = {}
    for bank, values in doc["pcrs"].items():
        width = {"sha1": 40, "sha256": 64, "sha384": 96}[bank]
        out[bank] = {int(n): (f"{v:0{width}x}" if isinstance(v, int) else v.lower().removeprefix("0x"))
                     for n, v in values.items()}
    return out


def replay(show_json, eventlog_yaml, files_dir):
    with open(show_json) as f:
        ours = {bank: {int(n): v.lower() for n, v in values.items()}
                for bank, values in json.load(f)["pcrs"].items()}
    theirs = tpm2_eventlog_pcrs(eventlog_yaml)
    errors = []
    if set(ours) != set(theirs):
        errors.append(f"banks: bootgate {sorted(ours)}, tpm2_eventlog {sorted(theirs)}")
    for bank, values in ours.items():
        extended = theirs.get(bank, {})
        for n, value in extended.items():
            if values.get(n) != value:
                errors.append(f"{bank} PCR {n}: bootgate replay {values.get(n)}, tpm2_eventlog {value}")
        for n, value in guest_pcrs(files_dir, bank).items():
            if n == 10 and n not in extended:
                continue  # IMA's PCR: the kernel extends it after the firmware log
            if value != values.get(n):
                errors.append(f"{bank} PCR {n}: replay {values.get(n)}, guest kernel {value}")
    if errors:
        sys.exit("replay mismatch:\n  " + "\n  ".join(errors))
    print(f"replay equals the guest's PCRs and tpm2_eventlog's in {', '.join(sorted(ours))}")


def boot_chains(node):
    """Every value under a key naming the boot chain (boot_chain, bootChain, ...)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if re.sub(r"[^a-z]", "", k.lower()) == "bootchain":
                yield v
            else:
                yield from boot_chains(v)
    elif isinstance(node, list):
        for v in node:
            yield from boot_chains(v)


def dicts(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from dicts(v)
    elif isinstance(node, list):
        for v in node:
            yield from dicts(v)


def names_kernel(node, digest):
    """A boot-chain entry that is the kernel with DIGEST: {"kernel": {..digest..}} or an
    image whose role/kind/layer is "kernel"."""
    def has_digest(d):
        return any(isinstance(v, str) and v.lower() == digest for v in d.values())
    for d in dicts(node):
        entry = d.get("kernel")
        for e in entry if isinstance(entry, list) else [entry]:
            if isinstance(e, dict) and has_digest(e):
                return True
        if has_digest(d) and any(isinstance(v, str) and v.lower() == "kernel" for v in d.values()):
            return True
    return False


def kernel(path, digest):
    with open(path) as f:
        doc = json.load(f)
    chains = list(boot_chains(doc))
    if not chains:
        sys.exit(f"{path}: no boot-chain section")
    digest = digest.lower()
    if any(names_kernel(chain, digest) for chain in chains):
        print(f"{path}: the boot chain names the kernel, Authenticode {digest}")
        return
    sys.exit(f"{path}: no boot-chain entry is the kernel with Authenticode {digest}:\n"
             + json.dumps(chains, indent=1)[:3000])


def applications(show_json):
    with open(show_json) as f:
        for event in json.load(f)["events"]:
            if event["pcr"] == 4 and event["type_name"] == "EV_EFI_BOOT_SERVICES_APPLICATION":
                print(event["digests"]["sha256"])


if __name__ == "__main__":
    if sys.argv[1:2] == ["replay"] and len(sys.argv) == 5:
        replay(*sys.argv[2:])
    elif sys.argv[1:2] == ["kernel"] and len(sys.argv) == 4:
        kernel(*sys.argv[2:])
    elif sys.argv[1:2] == ["applications"] and len(sys.argv) == 3:
        applications(sys.argv[2])
    else:
        sys.exit(__doc__)
