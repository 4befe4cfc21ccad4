#!/usr/bin/env python3
"""Issue 12, Acceptance 4: `bootgate baseline learn` then `bootgate policy check` of the same
bundle (tests/integration/learn_invariant_test.sh).

  learn_invariant.py learned BOOTGATE BUNDLE WORK
      learn BUNDLE (--out WORK/learned.json), then check it against its own policy: affirming
      with no finding; for a Secure-Boot-off source, eligible with exactly one finding,
      secure-boot-not-required. Then every one-field change of the learned baseline is checked
      against the same bundle and must be contraindicated (exit 1) with a finding naming the
      change:
        each boot_loader.allowed digest          -> image-not-allowed naming that image
        each kernel.allowed / grub_linux_files   -> kernel-not-allowed naming that image
        each kernel.multiboot digest             -> hypervisor- / dom0-kernel- / module-not-allowed
        each kernel.initrd digest                -> initrd-not-allowed naming that initrd
        each boot_loader.grub command taken out  -> grub-command-added naming that command (the
                                                    host ran it, the baseline lacks it)
        kernel.cmdline.exact + one argument      -> cmdline-mismatch naming the argument
                                                    (no measured command line: a cmdline-* finding)
        Secure Boot off, required set to true    -> secure-boot-disabled
        Secure Boot on, one db certificate taken out of the baseline -> db-cert-not-allowed
                                                    naming that certificate
  learn_invariant.py refused BOOTGATE BUNDLE WORK REASON...
      learn refuses BUNDLE: non-zero exit, no policy written, and its message contains every
      REASON (case-insensitive).
"""
import copy
import json
import os
import subprocess
import sys

ADDED_ARG = "bootgate.learn-invariant=1"
# grub commands whose arguments the kernel layer judges (policy.proto, GrubRule).
KERNEL_LAYER_VERBS = {"linux", "linuxefi", "linux16", "initrd", "initrdefi", "initrd16",
                      "multiboot", "multiboot2", "module", "module2"}


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def check(bootgate, policy, bundle):
    rc, out, err = run([bootgate, "policy", "check", "--json", policy, bundle])
    try:
        verdict = json.loads(out)
    except json.JSONDecodeError:
        verdict = None
    return rc, verdict, out + err


def findings_text(f):
    return " ".join(str(f.get(k) or "") for k in ("message", "seen", "allowed")).lower()


def image_mutations(group):
    """(label, path to the digest holder, expected codes) for every pinned image digest."""
    layers = [("boot_loader", "allowed", {"image-not-allowed"}),
              ("kernel", "allowed", {"kernel-not-allowed"}),
              ("kernel", "grub_linux_files", {"kernel-not-allowed"})]
    for layer, field, codes in layers:
        for i, _ in enumerate(group.get(layer, {}).get(field, [])):
            yield f"{layer}.{field}[{i}]", (layer, field, i), codes
    for i, _ in enumerate(group.get("kernel", {}).get("initrd", {}).get("allowed", [])):
        yield f"kernel.initrd.allowed[{i}]", ("kernel", "initrd", "allowed", i), {"initrd-not-allowed"}
    multiboot = group.get("kernel", {}).get("multiboot", {})
    for field, code in (("hypervisor", "hypervisor-not-allowed"),
                        ("dom0_kernel", "dom0-kernel-not-allowed"), ("modules", "module-not-allowed")):
        for i, _ in enumerate(multiboot.get(field, [])):
            yield f"kernel.multiboot.{field}[{i}]", ("kernel", "multiboot", field, i), {code}


def holder(group, path):
    node = group
    for key in path:
        node = node[key]
    return node


def other_digest(hexdigest):
    return ("0" if hexdigest[0] != "0" else "1") + hexdigest[1:]


def learned(bootgate, bundle, work):
    os.makedirs(work, exist_ok=True)
    policy = os.path.join(work, "learned.json")
    rc, out, err = run([bootgate, "baseline", "learn", bundle, "--out", policy])
    if rc != 0:
        sys.exit(f"FAIL learn {bundle}: exit {rc}: {err.strip()}")
    doc = json.load(open(policy))
    group = doc["groups"][0]
    sb_required = group.get("secure_boot", {}).get("required", False)
    errors = []

    rc, verdict, raw = check(bootgate, policy, bundle)
    if verdict is None:
        sys.exit(f"FAIL own policy: exit {rc}, not JSON: {raw[:2000]}")
    codes = [f["code"] for f in verdict["findings"]]
    if sb_required:
        if rc != 0 or verdict["tier"] != "affirming" or codes:
            errors.append(f"own policy: exit {rc}, tier {verdict['tier']}, findings {codes} "
                          "(want exit 0, affirming, no finding)")
    elif rc != 0 or not verdict["placement_eligible"] or codes != ["secure-boot-not-required"]:
        errors.append(f"Secure-Boot-off source under its own policy: exit {rc}, eligible "
                      f"{verdict['placement_eligible']}, findings {codes} "
                      "(want exit 0, eligible, only secure-boot-not-required)")
    else:
        pass
    print(f"  own policy: exit {rc}, {verdict['tier']}, findings {codes or 'none'}")

    mutations = []  # (label, policy doc, expected codes, words one finding of them must contain)
    for label, path, want in image_mutations(group):
        doc2 = copy.deepcopy(doc)
        image = holder(doc2["groups"][0], path)
        seen = image["sha256"]
        image["sha256"] = other_digest(seen)
        # the finding names the image that booted: its name, path or digest
        names = [n for n in {image.get("name", "").lower(), seen[:12]} if n]
        mutations.append((f"{label} ({image.get('name')}) digest changed", doc2, want, names, "any"))

    commands = group.get("boot_loader", {}).get("grub", {}).get("commands", [])
    for i, command in enumerate(commands):
        if command.split()[0] in KERNEL_LAYER_VERBS:
            continue  # its arguments are the kernel layer's; only its verb is compared here
        doc2 = copy.deepcopy(doc)
        del doc2["groups"][0]["boot_loader"]["grub"]["commands"][i]
        mutations.append((f"boot_loader.grub.commands[{i}] ({command}) taken out", doc2,
                          {"grub-command-added"}, [command.lower()], "all"))

    doc2 = copy.deepcopy(doc)
    kernel = doc2["groups"][0].setdefault("kernel", {})
    cmdline = kernel.setdefault("cmdline", {})
    if "exact" in cmdline:
        cmdline["exact"] = cmdline["exact"] + " " + ADDED_ARG
        mutations.append((f"kernel.cmdline.exact + {ADDED_ARG}", doc2, {"cmdline-mismatch"},
                          [ADDED_ARG], "all"))
    else:
        cmdline["exact"] = ADDED_ARG
        mutations.append((f"kernel.cmdline.exact set to {ADDED_ARG} (none measured)", doc2,
                          {"cmdline-mismatch", "cmdline-not-measured"}, [], "all"))

    sb = group.get("secure_boot", {})
    if not sb_required:
        doc2 = copy.deepcopy(doc)
        doc2["groups"][0].setdefault("secure_boot", {})["required"] = True
        mutations.append(("secure_boot.required set to true", doc2, {"secure-boot-disabled"},
                          ["secure boot"], "all"))
    else:
        for i, cert in enumerate(sb.get("db", [])):
            doc2 = copy.deepcopy(doc)
            del doc2["groups"][0]["secure_boot"]["db"][i]
            names = [n for n in {cert["sha256"][:12], cert.get("name", "").lower()} if n]
            mutations.append((f"secure_boot.db[{i}] ({cert.get('name')}) taken out", doc2,
                              {"db-cert-not-allowed"}, names, "any"))

    for n, (label, doc2, want, names, how) in enumerate(mutations):
        path = os.path.join(work, f"mutation-{n}.json")
        json.dump(doc2, open(path, "w"), indent=1)
        rc, verdict, raw = check(bootgate, path, bundle)
        if verdict is None:
            errors.append(f"{label}: exit {rc}, no verdict: {raw[:500]}")
            continue
        hits = [f for f in verdict["findings"] if f["code"] in want]
        named = [f for f in hits
                 if (all if how == "all" else any)(w in findings_text(f) for w in names)]
        got = [(f["code"], f["severity"]) for f in verdict["findings"]]
        if rc != 1 or verdict["tier"] != "contraindicated" or not named:
            errors.append(f"{label}: exit {rc}, tier {verdict['tier']}, findings {got}; want exit 1, "
                          f"contraindicated, a finding {sorted(want)} naming {names}\n      "
                          + "\n      ".join(f["message"] for f in verdict["findings"]))
        else:
            print(f"  {label}: contraindicated, {named[0]['code']}")
    if errors:
        sys.exit("FAIL " + bundle + ":\n    " + "\n    ".join(errors))
    print(f"ok   {bundle}: learned policy {'affirms' if sb_required else 'passes'} its source; "
          f"{len(mutations)} one-field changes contraindicated, each naming the change")


def refused(bootgate, bundle, work, reasons):
    os.makedirs(work, exist_ok=True)
    policy = os.path.join(work, "learned.json")
    rc, out, err = run([bootgate, "baseline", "learn", bundle, "--out", policy])
    message = (out + err).strip()
    problems = []
    if rc == 0:
        problems.append("learn accepted it (exit 0)")
        crc, verdict, raw = check(bootgate, policy, bundle)
        if verdict is not None:
            problems.append(f"and its policy gives its source exit {crc}, {verdict['tier']}, "
                            f"findings {[f['code'] for f in verdict['findings']]}")
    if os.path.exists(policy):
        problems.append(f"a policy was written: {policy}")
    missing = [r for r in reasons if r.lower() not in message.lower()]
    if missing:
        problems.append(f"the message does not name {missing}")
    if problems:
        sys.exit(f"FAIL {bundle}: learn must refuse, naming {reasons}: " + "; ".join(problems)
                 + f"\n    learn said: {message[:1500]}")
    print(f"ok   {bundle}: learn refuses (exit {rc}): {message.splitlines()[0]}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["learned"] and len(sys.argv) == 5:
        learned(*sys.argv[2:])
    elif sys.argv[1:2] == ["refused"] and len(sys.argv) >= 6:
        refused(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    else:
        sys.exit(__doc__)
