#!/usr/bin/env python3
"""--help, the README, the man page and the bash completion in step: every
option `lguest run --help` and the commands' --help name is in the other
three, every command too, every exit status in the README and the man
page, and the man page has `lguest --version`'s version.
Prints what is missing where; exit 0 if nothing.  docs_check.py LGUEST"""
import re, subprocess, sys

lguest = sys.argv[1]
help = subprocess.run([lguest, "run", "--help"], capture_output=True, text=True).stdout
commands = ("list", "stat", "pause", "resume", "stop", "kill", "console")
for c in commands:                   # each takes --help, and says the same
    help += subprocess.run([lguest, c, "--help"], capture_output=True, text=True).stdout
version = subprocess.run([lguest, "--version"], capture_output=True, text=True).stdout.strip()
readme = open("README.md").read()
man = open("docs/lguest.1").read().replace("\\-", "-")
comp = open("docs/lguest.bash").read()
opts = set(re.findall(r"(?<![\w-])(--[a-z]+|-[a-z])\b", help)) | {"--version"}
statuses = set(re.findall(r"^\s*(\d+|128\+N)  ", help, re.M))
missing = []
for o in sorted(opts):
    for name, text in (("README.md", readme), ("docs/lguest.1", man), ("docs/lguest.bash", comp)):
        if not re.search(r"(?<![\w-])" + re.escape(o) + r"\b", text):
            missing.append(f"{o} in {name}")
for c in commands:
    for name, text in (("README.md", readme), ("docs/lguest.1", man), ("docs/lguest.bash", comp)):
        if not re.search(r"(lguest |\W)" + c + r"\b", text) or c + " " not in help:
            missing.append(f"command {c} in {name} or its --help")
for s in sorted(statuses):
    for name, text in (("README.md", readme), ("docs/lguest.1", man)):
        if not re.search(r"(?<![\w+])" + re.escape(s) + r"(?![\w+])", text):
            missing.append(f"exit status {s} in {name}")
if not re.match(r"lguest \d+\.\d+", version) or f'"{version}"' not in man:
    missing.append(f"version '{version}' in docs/lguest.1's .TH line")
if len(opts) < 15 or len(statuses) < 6:
    missing.append(f"--help names only {sorted(opts)} and statuses {sorted(statuses)}")
print("; ".join(missing))
sys.exit(1 if missing else 0)
