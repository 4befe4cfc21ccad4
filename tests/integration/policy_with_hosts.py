#!/usr/bin/env python3
"""The fixture policy (argv[1]) with more hosts: prints it with the hosts of --hosts added to its
group, and the hosts of --short-ttl alone in a copy of that group whose verdicts live --ttl
seconds (default 3). For the integration tests that need their own host ids and an expiry."""
import argparse
import re

parser = argparse.ArgumentParser()
parser.add_argument("policy")
parser.add_argument("--hosts", nargs="*", default=[])
parser.add_argument("--short-ttl", nargs="*", default=[])
parser.add_argument("--ttl", type=int, default=3)
args = parser.parse_args()
text = open(args.policy).read()
start = text.index("\ngroups {") + 1
end = text.index("\n}\n", start) + 1  # the group's closing brace, at the start of a line
group = text[start:end + 1]
anchor = '  hosts: "host-good-1"\n'
ours = group.replace(anchor, anchor + "".join(f'  hosts: "{h}"\n' for h in args.hosts))
assert ours != group or not args.hosts
out = text[:start] + ours
if args.short_ttl:
    short = re.sub(r'  hosts: "[^"]*"\n', "", group)
    short = short.replace('name: "good-host"', 'name: "short-ttl"\n' +
                          "".join(f'  hosts: "{h}"\n' for h in args.short_ttl).rstrip("\n"))
    short, n = re.subn(r"verdict_ttl \{\s*seconds: \d+\s*\}",
                       f"verdict_ttl {{ seconds: {args.ttl} }}", short)
    assert n == 1 and 'name: "short-ttl"' in short
    out += "\n" + short
print(out + text[end + 1:])
