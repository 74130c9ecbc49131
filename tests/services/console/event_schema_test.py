#!/usr/bin/env python3
"""The console's Audit page carries its own copy of the event schema
(services/console/assets/event_schema.js), as tools/verify_audit.py does, to decode event
bytes by the protobuf wire format itself. This test derives the schema from
proto/sixhearts/ledger/v1/events.proto through protoc (the derivation of
tests/tools/verify_audit_schema_test.py), reads the page's copy with node, and fails when
they differ; `--print` prints the file anew after a change of events.proto.

Usage: event_schema_test.py [--print]   (node on PATH)"""
import importlib.util
import json
import subprocess
import sys
import unittest
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[3]
SCHEMA_JS = SOURCE / "services" / "console" / "assets" / "event_schema.js"

HEADER = """\
// The event schema of proto/sixhearts/ledger/v1/events.proto, written out so that the Audit
// page decodes event bytes by the protobuf wire format itself: per message, field number ->
// [name, type, repeated]; per enum, number -> name. The same schema as tools/verify_audit.py's;
// tests/services/console/event_schema_test.py fails when it differs from events.proto and
// prints this file anew with --print.
'use strict';
globalThis.SIXHEARTS_EVENT_SCHEMA = {"""


def derived_schema():
    spec = importlib.util.spec_from_file_location(
        "verify_audit_schema_test", SOURCE / "tests" / "tools" / "verify_audit_schema_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.derived_schema()


def as_json(messages, enums):
    """The schema as event_schema.js holds it: string keys, lists for tuples."""
    return {
        "messages": {name: {str(number): list(field) for number, field in fields.items()}
                     for name, fields in messages.items()},
        "enums": {name: {str(number): value for number, value in values.items()}
                  for name, values in enums.items()},
    }


def render(messages, enums):
    lines = [HEADER, "  messages: {"]
    for name in sorted(messages):
        lines.append("    %s: {" % name)
        for number in sorted(messages[name]):
            lines.append("      %d: %s," % (number, json.dumps(list(messages[name][number]))))
        lines.append("    },")
    lines += ["  },", "  enums: {"]
    for name in sorted(enums):
        lines.append("    %s: {" % name)
        for number in sorted(enums[name]):
            lines.append("      %d: %s," % (number, json.dumps(enums[name][number])))
        lines.append("    },")
    lines += ["  },", "};"]
    return "\n".join(lines) + "\n"


def embedded_schema():
    script = ("require(process.argv[1]);"
              "process.stdout.write(JSON.stringify(globalThis.SIXHEARTS_EVENT_SCHEMA))")
    out = subprocess.run(["node", "-e", script, str(SCHEMA_JS)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


class ConsoleEventSchemaTest(unittest.TestCase):
    def test_the_audit_pages_schema_is_events_proto(self):
        want = as_json(*derived_schema())
        got = embedded_schema()
        for name, fields in want["messages"].items():
            self.assertEqual(got["messages"].get(name), fields,
                             "%s: messages[%r] differs from events.proto; regenerate with "
                             "%s --print" % (SCHEMA_JS, name, __file__))
        self.assertEqual(set(got["messages"]), set(want["messages"]))
        self.assertEqual(got["enums"], want["enums"])


if __name__ == "__main__":
    if "--print" in sys.argv:
        sys.stdout.write(render(*derived_schema()))
        sys.exit(0)
    unittest.main()
