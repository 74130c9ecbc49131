#!/usr/bin/env python3
"""A benchmark's --json output is one JSON document on stdout, whatever the tool logs.

Usage: bench_json_test.py KEY[,KEY...] -- COMMAND [ARGS...]
Runs COMMAND, fails when it exits non-zero, when its stdout is not exactly one JSON
object, or when a listed top-level key is missing. The tool's log lines (for example the
warnings about rate tables carried past their next publication) belong on stderr.
"""
import json
import subprocess
import sys


def main() -> int:
    if "--" not in sys.argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = sys.argv.index("--")
    keys = [k for k in ",".join(sys.argv[1:split]).split(",") if k]
    command = sys.argv[split + 1:]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
    if done.returncode != 0:
        print(f"{command[0]} exited {done.returncode}\n{done.stderr.decode(errors='replace')}",
              file=sys.stderr)
        return 1
    try:
        document = json.loads(done.stdout)
    except json.JSONDecodeError as e:
        print(f"stdout is not one JSON document ({e}); it starts with:\n"
              f"{done.stdout[:300].decode(errors='replace')}", file=sys.stderr)
        return 1
    if not isinstance(document, dict):
        print("stdout is JSON but not an object", file=sys.stderr)
        return 1
    missing = [k for k in keys if k not in document]
    if missing:
        print(f"missing keys {missing}; present: {sorted(document)}", file=sys.stderr)
        return 1
    print(f"{command[0]}: one JSON object with {len(document)} keys, "
          f"{len(done.stderr.splitlines())} lines on stderr")
    return 0


if __name__ == "__main__":
    sys.exit(main())
