#!/usr/bin/env python3
"""Compares, layer by layer, the event order of a generated boot with a captured real boot.

    fixtures_realboot_order.py REAL_EVENTLOG GENERATED_EVENTLOG

The expectations come from the real log (tests/data/realboot/golden: OVMF + shim 16.1 +
Debian grub 2.06 + kernel 6.1): each layer of the real log is reduced to a sequence of tokens
and the generated log's layer must reduce to the same sequence. A token is (PCR, event type)
plus, where the order means something, what the event is:
  PCR 7 EV_EFI_VARIABLE_DRIVER_CONFIG: the variable name (SecureBoot, PK, KEK, db, dbx);
  PCR 1 EV_EFI_VARIABLE_BOOT: "BootOrder" or "Boot####";
  PCR 14 EV_IPL: the MokList name shim gives (MokList, MokListX, MokListTrusted);
  PCR 7 EV_EFI_VARIABLE_AUTHORITY: "SbatLevel", else "authority";
  PCR 4 EV_EFI_BOOT_SERVICES_APPLICATION: "path" or "memory" (zero-length device path);
  PCR 8 EV_IPL: "kernel_cmdline", or "grub_cmd <verb>" with linuxefi -> linux, initrdefi ->
    initrd, source/configfile -> config.

Layers (split at landmarks found in each log; a landmark missing from either log fails):
  1. pre-boot: events before the PCR 4 "Calling EFI Application from Boot Option" action.
     PCRs 0 and 2 are NOT compared (S-CRTM, firmware volumes, option-ROM drivers: their count
     depends on the firmware build). Compared: PCR 7 (the Secure Boot variables in order, then
     the PCR 7 separator) and PCR 1 (BootOrder, then the Boot#### variables), with a run of
     Boot#### variables counted as one token (how many boot options exist is the machine's).
  2. ready-to-boot: from that action to the first PCR 4 application (shim), inclusive: exact
     sequence (the action, separators 0-6, the authority that verified shim, the GPT, shim).
  3. shim: after shim up to the next PCR 4 application (grub), inclusive: exact sequence
     (MokList, MokListX in PCR 14, SbatLevel in PCR 7, MokListTrusted in PCR 14, the authority
     that verified grub, grub).
  4. grub configuration: after grub up to its first linux/linuxefi command, exclusive. The
     commands are grub.cfg's content and are not compared one by one; compared is the rule the
     real log follows: only PCR 8 commands and PCR 9 files, at least one config file, and every
     PCR 9 file is logged right after the `source`/`configfile` command that names it.
  5. kernel and ExitBootServices: from the first linux/linuxefi command to the end of the log:
     exact sequence (linux, PCR 9 the kernel file the command names, the kernel application(s)
     loaded from memory, kernel_cmdline, initrd, PCR 9 the initrd it names, boot, the two PCR 5
     ExitBootServices actions).
EV_NO_ACTION events (Spec ID, StartupLocality) are ignored everywhere. Exit status 0 when every
layer matches, 1 with the differing layers printed, 2 for an unreadable log.
"""
import struct
import sys

EV_NO_ACTION = 0x3
EV_SEPARATOR = 0x4
EV_ACTION = 0x5
EV_IPL = 0xD
EV_EFI_VARIABLE_DRIVER_CONFIG = 0x80000001
EV_EFI_VARIABLE_BOOT = 0x80000002
EV_EFI_BOOT_SERVICES_APPLICATION = 0x80000003
EV_EFI_ACTION = 0x80000007
EV_EFI_GPT_EVENT = 0x80000006
EV_EFI_VARIABLE_AUTHORITY = 0x800000E0
EV_EFI_PLATFORM_FIRMWARE_BLOB = 0x80000008
EV_EFI_PLATFORM_FIRMWARE_BLOB2 = 0x8000000A

TYPE_NAMES = {
    EV_SEPARATOR: "EV_SEPARATOR", EV_ACTION: "EV_ACTION", EV_IPL: "EV_IPL",
    EV_EFI_VARIABLE_DRIVER_CONFIG: "EV_EFI_VARIABLE_DRIVER_CONFIG",
    EV_EFI_VARIABLE_BOOT: "EV_EFI_VARIABLE_BOOT",
    EV_EFI_BOOT_SERVICES_APPLICATION: "EV_EFI_BOOT_SERVICES_APPLICATION",
    EV_EFI_ACTION: "EV_EFI_ACTION", EV_EFI_GPT_EVENT: "EV_EFI_GPT_EVENT",
    EV_EFI_VARIABLE_AUTHORITY: "EV_EFI_VARIABLE_AUTHORITY",
}
DIGEST_SIZES = {0x0004: 20, 0x000B: 32, 0x000C: 48, 0x000D: 64, 0x0012: 32}


class Event:
    def __init__(self, index, pcr, etype, data):
        self.index, self.pcr, self.type, self.data = index, pcr, etype, data


def parse(path):
    """Parses a crypto-agile TCG PC Client log (SHA-1 Spec ID header + TCG_PCR_EVENT2)."""
    b = open(path, "rb").read()
    pcr, etype = struct.unpack_from("<II", b, 0)
    (size,) = struct.unpack_from("<I", b, 28)
    spec = b[32:32 + size]
    if etype != EV_NO_ACTION or not spec.startswith(b"Spec ID Event03"):
        raise ValueError(f"{path}: not a crypto-agile log")
    (nalgs,) = struct.unpack_from("<I", spec, 24)
    sizes = {}
    for i in range(nalgs):
        alg, dsize = struct.unpack_from("<HH", spec, 28 + 4 * i)
        sizes[alg] = dsize
    off, events, index = 32 + size, [], 1
    while off < len(b):
        pcr, etype, count = struct.unpack_from("<III", b, off)
        off += 12
        for _ in range(count):
            (alg,) = struct.unpack_from("<H", b, off)
            off += 2 + sizes.get(alg, DIGEST_SIZES.get(alg, 0))
        (dlen,) = struct.unpack_from("<I", b, off)
        data = b[off + 4:off + 4 + dlen]
        if len(data) != dlen:
            raise ValueError(f"{path}: event {index} truncated")
        off += 4 + dlen
        if etype != EV_NO_ACTION:
            events.append(Event(index, pcr, etype, data))
        index += 1
    return events


def variable_name(data):
    """UEFI_VARIABLE_DATA: GUID, UnicodeNameLength (u64), VariableDataLength (u64), name."""
    (n,) = struct.unpack_from("<Q", data, 16)
    return data[32:32 + 2 * n].decode("utf-16-le")


def cstring(data):
    return data.rstrip(b"\0").decode("utf-8", "replace")


def grub_verb(text):
    verb = text[len("grub_cmd: "):].split(" ", 1)[0]
    return {"linuxefi": "linux", "initrdefi": "initrd", "source": "config",
            "configfile": "config"}.get(verb, verb)


def grub_args(text):
    return [w for w in text[len("grub_cmd: "):].split()[1:] if not w.startswith("--")]


def token(e):
    name = TYPE_NAMES.get(e.type, hex(e.type))
    what = ""
    if e.type == EV_EFI_VARIABLE_DRIVER_CONFIG:
        what = variable_name(e.data)
    elif e.type == EV_EFI_VARIABLE_BOOT:
        what = variable_name(e.data)
        what = "BootOrder" if what == "BootOrder" else "Boot####"
    elif e.type == EV_EFI_VARIABLE_AUTHORITY:
        what = "SbatLevel" if variable_name(e.data) == "SbatLevel" else "authority"
    elif e.type == EV_EFI_BOOT_SERVICES_APPLICATION:
        (dp_len,) = struct.unpack_from("<Q", e.data, 24)
        what = "memory" if dp_len == 0 else "path"
    elif e.type == EV_IPL and e.pcr == 14:
        what = cstring(e.data)
    elif e.type == EV_IPL and e.pcr == 8:
        text = cstring(e.data)
        if text.startswith("kernel_cmdline: "):
            what = "kernel_cmdline"
        elif text.startswith("grub_cmd: "):
            what = "grub_cmd " + grub_verb(text)
        else:
            what = "other"
    elif e.type == EV_IPL and e.pcr == 9:
        what = "file"
    elif e.type in (EV_EFI_ACTION, EV_ACTION):
        what = e.data.decode("ascii", "replace")
    return f"PCR {e.pcr} {name}" + (f" {what}" if what else "")


def is_linux(e):
    return e.pcr == 8 and e.type == EV_IPL and cstring(e.data).startswith(
        ("grub_cmd: linux ", "grub_cmd: linuxefi "))


def layers(events, label):
    """Splits a log into the five layers; returns {name: [tokens]} and a list of errors."""
    errors = []

    def find(pred, start, what):
        for i in range(start, len(events)):
            if pred(events[i]):
                return i
        errors.append(f"{label}: no {what}")
        return None

    action = find(lambda e: e.pcr == 4 and e.type == EV_EFI_ACTION and
                  e.data == b"Calling EFI Application from Boot Option", 0,
                  "'Calling EFI Application from Boot Option' action")
    if action is None:
        return {}, errors
    apps = [i for i in range(action, len(events))
            if events[i].type == EV_EFI_BOOT_SERVICES_APPLICATION]
    if len(apps) < 2:
        errors.append(f"{label}: fewer than two boot applications (shim, grub) after the action")
        return {}, errors
    shim, grub = apps[0], apps[1]
    linux = find(is_linux, grub + 1, "grub linux/linuxefi command after grub")
    if linux is None:
        return {}, errors

    pre = []
    for e in events[:action]:
        if e.pcr in (0, 2):
            continue
        t = token(e)
        if t.endswith("Boot####") and pre and pre[-1] == t:
            continue
        pre.append(t)
    out = {
        "1 pre-boot (PCRs 1 and 7)": pre,
        "2 ready-to-boot .. shim": [token(e) for e in events[action:shim + 1]],
        "3 shim .. grub": [token(e) for e in events[shim + 1:grub + 1]],
        "5 kernel .. ExitBootServices": [token(e) for e in events[linux:]],
    }

    # Layer 4: the rule, checked on this log; its token is the rule's outcome.
    config = events[grub + 1:linux]
    rule = []
    files = 0
    for k, e in enumerate(config):
        if e.pcr not in (8, 9) or e.type != EV_IPL:
            rule.append(f"event {e.index}: {token(e)} is neither a grub command nor a grub file")
        elif e.pcr == 9:
            files += 1
            prev = config[k - 1] if k else None
            name = cstring(e.data)
            if prev is None or token(prev) != "PCR 8 EV_IPL grub_cmd config" or \
                    grub_args(cstring(prev.data))[:1] != [name]:
                rule.append(f"event {e.index}: file {name} is not right after the "
                            "source/configfile command naming it")
    if not files:
        rule.append("no config file read before the linux command")
    out["4 grub configuration (rule)"] = rule or ["each config file right after its source/configfile"]

    # Layer 5 detail: the PCR 9 files name what the linux and initrd commands name.
    for k, e in enumerate(events[linux:-1], start=linux):
        nxt = events[k + 1]
        t = token(e)
        if t in ("PCR 8 EV_IPL grub_cmd linux", "PCR 8 EV_IPL grub_cmd initrd"):
            want = grub_args(cstring(e.data))[:1]
            if token(nxt) != "PCR 9 EV_IPL file" or [cstring(nxt.data)] != want:
                errors.append(f"{label}: event {e.index} ({t}) is not followed by PCR 9 {want}")
    return out, errors


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        real, gen = parse(sys.argv[1]), parse(sys.argv[2])
    except (OSError, ValueError, struct.error) as err:
        print(f"fixtures_realboot_order: {err}", file=sys.stderr)
        return 2
    want, errors = layers(real, "real")
    got, gen_errors = layers(gen, "generated")
    errors += gen_errors
    for name in sorted(want):
        if name not in got:
            continue
        if want[name] == got[name]:
            print(f"layer {name}: same ({len(want[name])} tokens)")
            continue
        errors.append(f"layer {name} differs")
        print(f"layer {name}: DIFFERS\n  real:")
        for t in want[name]:
            print(f"    {t}")
        print("  generated:")
        for t in got[name]:
            print(f"    {t}")
    for err in errors:
        print(f"FAIL: {err}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
