#!/usr/bin/env python3
"""tools/verify_audit.py carries its own copy of the event schema (so that an auditor needs
no ledger code). This test derives that schema from proto/sixhearts/ledger/v1/events.proto
through protoc and fails when the copy differs; `--print` prints the derived dictionaries
to paste into verify_audit.py after a change of events.proto."""
import importlib.util
import pprint
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from google.protobuf import descriptor_pb2

SOURCE = Path(__file__).resolve().parents[2]
PROTO = "sixhearts/ledger/v1/events.proto"
SCALARS = {
    descriptor_pb2.FieldDescriptorProto.TYPE_STRING: "string",
    descriptor_pb2.FieldDescriptorProto.TYPE_BYTES: "bytes",
    descriptor_pb2.FieldDescriptorProto.TYPE_BOOL: "bool",
    descriptor_pb2.FieldDescriptorProto.TYPE_INT64: "int64",
    descriptor_pb2.FieldDescriptorProto.TYPE_INT32: "int32",
    descriptor_pb2.FieldDescriptorProto.TYPE_UINT64: "uint64",
    descriptor_pb2.FieldDescriptorProto.TYPE_UINT32: "uint32",
}


def derived_schema():
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "events.pb"
        subprocess.run(["protoc", "-I", str(SOURCE / "proto"), "--include_imports",
                        "--descriptor_set_out", str(out), PROTO], check=True)
        files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    events = next(f for f in files.file if f.name == PROTO)
    prefix = "." + events.package + "."
    messages, enums = {}, {}
    for message in events.message_type:
        fields = {}
        for field in message.field:
            if field.type_name:
                kind = field.type_name[len(prefix):] if field.type_name.startswith(prefix) \
                    else field.type_name[1:]
            else:
                kind = SCALARS[field.type]
            repeated = field.label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
            fields[field.number] = (field.name, kind, repeated)
        messages[message.name] = fields
    for enum in events.enum_type:
        enums[enum.name] = {value.number: value.name for value in enum.value}
    return messages, enums


def embedded_schema():
    spec = importlib.util.spec_from_file_location("verify_audit", SOURCE / "tools" / "verify_audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EVENT_MESSAGES, module.EVENT_ENUMS


class VerifyAuditSchemaTest(unittest.TestCase):
    def test_the_checkers_schema_is_events_proto(self):
        messages, enums = derived_schema()
        embedded_messages, embedded_enums = embedded_schema()
        for name, fields in messages.items():
            self.assertEqual(embedded_messages.get(name), fields,
                             "tools/verify_audit.py: EVENT_MESSAGES[%r] differs from %s; "
                             "regenerate with %s --print" % (name, PROTO, __file__))
        self.assertEqual(set(embedded_messages), set(messages))
        self.assertEqual(embedded_enums, enums)


if __name__ == "__main__":
    if "--print" in sys.argv:
        messages, enums = derived_schema()
        print("EVENT_MESSAGES = " + pprint.pformat(messages))
        print()
        print("EVENT_ENUMS = " + pprint.pformat(enums))
        sys.exit(0)
    unittest.main()
