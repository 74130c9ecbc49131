#!/usr/bin/env python3
"""The schema check (scripts/check-proto.sh) passes the tree and refuses incompatible
changes: a renumbered field, a retyped field, a removed method. An added field passes."""
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

SOURCE = Path(sys.argv.pop(1)) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
SCRIPT = SOURCE / "scripts" / "check-proto.sh"
EVENTS = Path("sixhearts/ledger/v1/events.proto")
STORE = Path("sixhearts/ledger/v1/event_store.proto")


def check(changed: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), str(changed), str(SOURCE / "proto")],
                          capture_output=True, text=True, timeout=300)


class CheckProtoTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())
        self.proto = self.tmp / "proto"
        shutil.copytree(SOURCE / "proto", self.proto)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def edit(self, path: Path, pattern: str, replacement: str):
        text = (self.proto / path).read_text()
        changed, n = re.subn(pattern, replacement, text, count=1, flags=re.M)
        self.assertEqual(n, 1, f"pattern {pattern!r} not found in {path}")
        (self.proto / path).write_text(changed)

    def test_the_tree_against_the_landed_schema(self):
        result = subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=300,
                                cwd=SOURCE)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_unchanged_copy_passes(self):
        self.assertEqual(check(self.proto).returncode, 0)

    def test_added_field_passes(self):
        self.edit(EVENTS, r"^(message Money \{)$", r"\1\n  string added_for_test = 999;")
        result = check(self.proto)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_renumbered_field_is_refused(self):
        self.edit(EVENTS, r"(int64 amount_minor = )(\d+);", r"\g<1>998;")
        result = check(self.proto)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("amount_minor", result.stdout + result.stderr)

    def test_retyped_field_is_refused(self):
        self.edit(EVENTS, r"int64 amount_minor = ", "int32 amount_minor = ")
        result = check(self.proto)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("amount_minor", result.stdout + result.stderr)

    def test_removed_method_is_refused(self):
        self.edit(STORE, r"^\s*rpc Verify\(.*$", "")
        result = check(self.proto)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("Verify", result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main()
