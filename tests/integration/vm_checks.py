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
  vm_checks.py onediff SCENARIO GOLDEN_SHOW_JSON SHOW_JSON
      the scenario's grub events (PCR 8 and 9 EV_IPL: grub_cmd, kernel_cmdline, the files grub
      read) differ from golden's exactly as the scenario says (ONE_DIFFERENCE): "+"/"-" an
      event added/removed (PCR and text), "~" same text, other digest. Both logs from one
      guest build (the initrd is the same file).
  vm_checks.py finding ATTEST_OUT CHECK_JSON CODE SEVERITY LAYER [--message TEXT]...
                       [--seen TEXT]...
      the agent's verdict (ATTEST_OUT, `bootgate attest` text) has exactly one finding, CODE
      with SEVERITY in LAYER, its message holding every --message TEXT; `policy check --json`
      of the same bundle under the same policy (CHECK_JSON) has exactly that one finding too,
      its `seen` holding every --seen TEXT.
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


# What each scenario changes in grub's PCR 8/9 events, compared with golden (lib.sh
# vm_scenario; disk.sh writes grub.cfg, so any change to it changes the digest of the
# grub.cfg grub read). The kernel_cmdline event is grub's: the path and the arguments without
# BOOT_IMAGE=, an argument holding a space quoted as a whole; its grub_cmd shows it unquoted.
_GRUB_CFG = "9 (hd0,gpt1)/EFI/debian/grub.cfg"
_LINUX = "8 grub_cmd: linuxefi /vmlinuz ro console=ttyS0 panic=1"
_CMDLINE = "8 kernel_cmdline: /vmlinuz ro console=ttyS0 panic=1"
ONE_DIFFERENCE = {
    "golden": [],
    "sb-off": [],  # the same disk: grub runs and reads the same
    "extra-arg": [f"~ {_GRUB_CFG}", f"- {_LINUX}", f"+ {_LINUX} bootgate.extra=1",
                  f"- {_CMDLINE}", f"+ {_CMDLINE} bootgate.extra=1"],
    "grub-extra-cmd": [f"~ {_GRUB_CFG}", "+ 8 grub_cmd: set bootgate_extra=1"],
    "initrd-extra-file": ["~ 9 /initrd.img"],
    "quoted-arg": [f"~ {_GRUB_CFG}", f"- {_LINUX}", f"+ {_LINUX} bootgate.note=a b",
                   f"- {_CMDLINE}", f'+ {_CMDLINE} "bootgate.note=a b"'],
}


def grub_events(show_json):
    """(pcr, text, sha256) of each PCR 8/9 EV_IPL event: its data as grub wrote it, without
    the trailing NUL."""
    with open(show_json) as f:
        return [(e["pcr"],
                 bytes.fromhex(e["data_hex"]).rstrip(b"\0").decode("utf-8", "backslashreplace"),
                 e["digests"].get("sha256", ""))
                for e in json.load(f)["events"]
                if e["pcr"] in (8, 9) and e["type_name"] == "EV_IPL"]


def onediff(scenario, golden_json, show_json):
    import difflib
    if scenario not in ONE_DIFFERENCE:
        sys.exit(f"onediff: no expectation for scenario {scenario}")
    golden, other = grub_events(golden_json), grub_events(show_json)
    a = [(pcr, text) for pcr, text, _ in golden]
    b = [(pcr, text) for pcr, text, _ in other]
    got = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            for (pcr, text, da), (_, _, db) in zip(golden[i1:i2], other[j1:j2]):
                if da != db:
                    got.append(f"~ {pcr} {text}")
            continue
        got += [f"- {pcr} {text}" for pcr, text in a[i1:i2]]
        got += [f"+ {pcr} {text}" for pcr, text in b[j1:j2]]
    want = ONE_DIFFERENCE[scenario]
    if sorted(got) != sorted(want):
        sys.exit(f"{scenario}: grub's PCR 8/9 events differ from golden's in\n  "
                 + "\n  ".join(got or ["nothing"]) + "\nwant\n  " + "\n  ".join(want or ["nothing"]))
    print(f"{scenario}: grub's PCR 8/9 events differ from golden's as expected: "
          + ("; ".join(got) if got else "not at all"))


def verdict_rows(attest_out):
    """The rows of the verdict table: (layer, pcr, event, severity, code, message)."""
    rows, inside = [], False
    with open(attest_out) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("LAYER "):
                inside = True
                continue
            if inside:
                if not line.strip():
                    break
                rows.append(tuple(line.split(None, 5)))
    return rows


def finding(attest_out, check_json, code, severity, layer, messages, seens):
    errors = []
    rows = verdict_rows(attest_out)
    if len(rows) != 1:
        errors.append(f"{attest_out}: {len(rows)} findings, want exactly one ({code}):\n    "
                      + "\n    ".join("  ".join(r) for r in rows))
    else:
        row = rows[0]
        got_layer, got_severity, got_code = row[0], row[3], row[4]
        message = row[5] if len(row) > 5 else ""
        if (got_code, got_severity, got_layer) != (code, severity, layer):
            errors.append(f"{attest_out}: finding {got_code} {got_severity} in {got_layer}, "
                          f"want {code} {severity} in {layer}")
        for text in messages:
            if text not in message:
                errors.append(f"{attest_out}: the {got_code} message does not name {text!r}: {message}")
    with open(check_json) as f:
        found = json.load(f).get("findings", [])
    if len(found) != 1:
        errors.append(f"{check_json}: {len(found)} findings, want exactly one ({code}): "
                      + json.dumps(found)[:2000])
    else:
        f0 = found[0]
        if (f0.get("code"), f0.get("severity"), f0.get("layer")) != (code, severity, layer):
            errors.append(f"{check_json}: finding {f0.get('code')} {f0.get('severity')} in "
                          f"{f0.get('layer')}, want {code} {severity} in {layer}")
        for text in seens:
            if text not in f0.get("seen", ""):
                errors.append(f"{check_json}: {f0.get('code')}'s seen does not hold {text!r}: "
                              f"{f0.get('seen', '')!r}")
    if errors:
        sys.exit("\n".join(errors))
    print(f"one finding, {code} ({severity}, {layer})"
          + (f", naming {', '.join(messages)}" if messages else "")
          + (f", seen holds {', '.join(seens)}" if seens else ""))


def finding_args(argv):
    fixed, messages, seens = [], [], []
    it = iter(argv)
    for arg in it:
        if arg in ("--message", "--seen"):
            value = next(it, None)
            if value is None:
                sys.exit(__doc__)
            (messages if arg == "--message" else seens).append(value)
        else:
            fixed.append(arg)
    if len(fixed) != 5:
        sys.exit(__doc__)
    return (*fixed, messages, seens)


if __name__ == "__main__":
    if sys.argv[1:2] == ["replay"] and len(sys.argv) == 5:
        replay(*sys.argv[2:])
    elif sys.argv[1:2] == ["kernel"] and len(sys.argv) == 4:
        kernel(*sys.argv[2:])
    elif sys.argv[1:2] == ["applications"] and len(sys.argv) == 3:
        applications(sys.argv[2])
    elif sys.argv[1:2] == ["onediff"] and len(sys.argv) == 5:
        onediff(*sys.argv[2:])
    elif sys.argv[1:2] == ["finding"]:
        finding(*finding_args(sys.argv[2:]))
    else:
        sys.exit(__doc__)
