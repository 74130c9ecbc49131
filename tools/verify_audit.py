#!/usr/bin/env python3
"""Independent checker of a Six Hearts ledger audit export.

Checks an export written by `ledgerctl report audit` (JSON or CSV) against a digest the
auditor obtained earlier from the ledger (`ledgerctl digest`), without trusting the
server and without the ledger's code: only the Python standard library (hashlib, json,
base64, csv). The layout and the hash chain are specified in ledger/FORMAT.md ("The hash
chain", "Audit export"):

    leaf(p) = SHA-256(0x00 || event bytes)
    hash(p) = SHA-256(0x01 || hash(p-1) || uint64_be(p) || leaf(p)),  hash(0) = 32 zero bytes

What passes means:
  * every listed client event's bytes hash to its leaf, and the envelope fields shown
    (position, stream, event id, type, versions, times, actor) are the ones in the bytes;
  * the chain recomputed from the anchor through every leaf gives every listed hash and
    the head; at the digest's position it gives the digest's hash, so the anchor, every
    leaf and every client event up to there are the ones the ledger had committed when
    the auditor took that digest (positions after it extend that chain);
  * no event of the client between the first position and its last listed event was
    left out: each event names the position of the previous event of its stream, which
    must be the previous listed event (or lie before the range);
  * `in_period` is true exactly for the events that occurred in the period.

Usage: verify_audit.py EXPORT [--digest POSITION:HEX]
Exit codes: 0 verified; 1 the export does not verify (the first bad position is named);
2 unreadable input or bad arguments.
"""

import argparse
import base64
import csv
import datetime
import hashlib
import io
import json
import sys

LEAF_PREFIX = b"\x00"
CHAIN_PREFIX = b"\x01"
CHAIN_FORMAT = "2"

# Payload field numbers of sixhearts.ledger.v1.Event (proto/sixhearts/ledger/v1/events.proto).
PAYLOAD_TYPES = {
    20: "ClientRegistered", 21: "ClientUpdated", 22: "AccountOwnerAssigned",
    23: "ContractSigned", 24: "ContractAmended",
    30: "InvoiceIssued", 31: "InvoiceAccepted", 32: "PaymentReceived",
    33: "PaymentAllocated", 34: "CreditNoteIssued", 35: "InvoiceWrittenOff",
    36: "PaymentReversed",
    40: "PromiseToPayMade", 41: "PromiseToPayCancelled", 42: "DisputeOpened",
    43: "DisputeResolved",
    50: "InteractionLogged", 51: "ConcernRaised", 52: "ConcernResolved",
    53: "SurveyRecorded", 54: "FeedbackMeetingHeld", 55: "CollectionPlanSet",
    56: "PlanStepCompleted", 57: "FollowUpScheduled", 58: "FollowUpCompleted",
    60: "SubjectErased",
}


class Failure(Exception):
    def __init__(self, position, problem):
        super().__init__(problem)
        self.position = position
        self.problem = problem


def sha256(*parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


# ------------------------------------------------------------------ protobuf wire format

def read_varint(data, offset):
    value = 0
    shift = 0
    while True:
        if offset >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset
        shift += 7


def fields(data):
    """Yields (field number, wire type, value) of one message; LEN values as bytes."""
    offset = 0
    while offset < len(data):
        key, offset = read_varint(data, offset)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, offset = read_varint(data, offset)
        elif wire == 2:
            length, offset = read_varint(data, offset)
            if offset + length > len(data):
                raise ValueError("truncated field")
            value = data[offset:offset + length]
            offset += length
        elif wire == 1:
            value, offset = data[offset:offset + 8], offset + 8
        elif wire == 5:
            value, offset = data[offset:offset + 4], offset + 4
        else:
            raise ValueError("unknown wire type %d" % wire)
        yield number, wire, value


def timestamp(data):
    seconds, nanos = 0, 0
    for number, _, value in fields(data):
        if number == 1:
            seconds = value - (1 << 64) if value >= 1 << 63 else value
        elif number == 2:
            nanos = value
    return seconds, nanos


def format_timestamp(seconds, nanos):
    """RFC 3339 in UTC with Z and no trailing zeros, as ledgerctl writes it."""
    day = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)
    text = day.strftime("%Y-%m-%dT%H:%M:%S")
    if nanos:
        text += "." + ("%09d" % nanos).rstrip("0")
    return text + "Z"


def decode_envelope(data):
    event = {"event_id": "", "stream": "", "stream_version": 0, "position": 0,
             "occurred_at": (0, 0), "recorded_at": (0, 0), "actor": "",
             "previous_stream_position": 0, "type": None}
    for number, wire, value in fields(data):
        if number == 1 and wire == 2:
            event["event_id"] = value.decode("utf-8")
        elif number == 2 and wire == 2:
            event["stream"] = value.decode("utf-8")
        elif number == 3 and wire == 0:
            event["stream_version"] = value
        elif number == 4 and wire == 0:
            event["position"] = value
        elif number == 5 and wire == 2:
            event["occurred_at"] = timestamp(value)
        elif number == 6 and wire == 2:
            event["recorded_at"] = timestamp(value)
        elif number == 7 and wire == 2:
            event["actor"] = value.decode("utf-8")
        elif number == 12 and wire == 0:
            event["previous_stream_position"] = value
        elif number in PAYLOAD_TYPES and wire == 2:
            event["type"] = PAYLOAD_TYPES[number]
    return event


# ------------------------------------------------------------------------- the export

def load_json(text):
    doc = json.loads(text)
    export = {key: doc[key] for key in
              ("chain_format", "client_id", "stream", "from", "to", "verified_position")}
    export["anchor"] = (int(doc["anchor"]["position"]), doc["anchor"]["hash"])
    export["head"] = (int(doc["head"]["position"]), doc["head"]["hash"])
    export["records"] = doc["records"]
    return export


def load_csv(text):
    export = {"records": []}
    for row in csv.DictReader(io.StringIO(text, newline="")):
        kind = row["record"]
        if kind == "export":
            export.update(chain_format=row["chain_format"], client_id=row["client_id"],
                          stream=row["stream"], verified_position=int(row["position"]))
            export["from"], export["to"] = row["from"], row["to"]
        elif kind in ("anchor", "head"):
            export[kind] = (int(row["position"]), row["hash"])
        elif kind == "leaf":
            export["records"].append({"position": int(row["position"]), "leaf": row["leaf"],
                                      "hash": row["hash"]})
        elif kind == "event":
            record = {key: row[key] for key in (
                "leaf", "hash", "event_id", "type", "stream", "occurred_at", "recorded_at",
                "actor", "event_base64")}
            record["position"] = int(row["position"])
            record["in_period"] = row["in_period"] == "true"
            record["stream_version"] = int(row["stream_version"])
            record["previous_stream_position"] = int(row["previous_stream_position"])
            export["records"].append(record)
        else:
            raise ValueError("unknown record kind %r" % kind)
    return export


def unhex(text, position, what):
    try:
        value = bytes.fromhex(text)
    except (TypeError, ValueError):
        raise Failure(position, "%s is not hex" % what)
    if len(value) != 32:
        raise Failure(position, "%s is not 32 bytes" % what)
    return value


def check_event(export, record, position, period):
    try:
        data = base64.b64decode(record["event_base64"], validate=True)
    except (ValueError, TypeError):
        raise Failure(position, "event_base64 is not base64")
    leaf = sha256(LEAF_PREFIX, data)
    if leaf != unhex(record["leaf"], position, "leaf"):
        raise Failure(position, "the event bytes do not hash to the leaf (recomputed %s)"
                      % leaf.hex())
    try:
        event = decode_envelope(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise Failure(position, "the event bytes do not parse: %s" % error)
    shown = {
        "position": position,
        "stream": record["stream"],
        "event_id": record["event_id"],
        "type": record["type"],
        "stream_version": int(record["stream_version"]),
        "previous_stream_position": int(record["previous_stream_position"]),
        "occurred_at": record["occurred_at"],
        "recorded_at": record["recorded_at"],
        "actor": record["actor"],
    }
    decoded = dict(event)
    decoded["occurred_at"] = format_timestamp(*event["occurred_at"])
    decoded["recorded_at"] = format_timestamp(*event["recorded_at"])
    for key, value in shown.items():
        if decoded[key] != value:
            raise Failure(position, "%s shown as %r but the event bytes say %r"
                          % (key, value, decoded[key]))
    if event["stream"] != export["stream"]:
        raise Failure(position, "the event belongs to stream %r, not %r"
                      % (event["stream"], export["stream"]))
    detail = record.get("event")
    if isinstance(detail, dict):
        for key in ("event_id", "stream", "actor"):
            if detail.get(key, "") != event[key]:
                raise Failure(position, "event.%s shown as %r but the event bytes say %r"
                              % (key, detail.get(key, ""), event[key]))
    in_period = period[0] <= event["occurred_at"] < period[1]
    if bool(record["in_period"]) != in_period:
        raise Failure(position, "in_period shown as %s but the event occurred at %s"
                      % (record["in_period"], decoded["occurred_at"]))
    return event, in_period


def day_start(text):
    day = datetime.date.fromisoformat(text)
    return int((datetime.datetime(day.year, day.month, day.day)
                - datetime.datetime(1970, 1, 1)).total_seconds())


def verify(export, digest):
    if export["chain_format"] != CHAIN_FORMAT:
        raise Failure(0, "chain format %r; this checker knows format %s"
                      % (export["chain_format"], CHAIN_FORMAT))
    period = ((day_start(export["from"]), 0), (day_start(export["to"]) + 86400, 0))
    anchor_position, anchor_hex = export["anchor"]
    head_position, head_hex = export["head"]
    chain = unhex(anchor_hex, anchor_position, "the anchor hash")
    if anchor_position == 0 and chain != bytes(32):
        raise Failure(0, "the anchor at position 0 must be 32 zero bytes")
    computed = {anchor_position: chain}
    expected = anchor_position + 1
    previous_event = None  # (position, stream_version) of the last client event listed
    events = in_period = 0
    for record in export["records"]:
        position = int(record["position"])
        if position != expected:
            raise Failure(expected, "missing from the export (the next record is position %d)"
                          % position)
        if "event_base64" in record:
            event, counted = check_event(export, record, position, period)
            back = event["previous_stream_position"]
            if previous_event is None:
                if back > anchor_position:
                    raise Failure(position, "the previous event of the stream is at position %d, "
                                  "inside the export, but it is not listed" % back)
                if back == 0 and event["stream_version"] != 1:
                    raise Failure(position, "stream version %d has no previous position"
                                  % event["stream_version"])
            else:
                if back != previous_event[0]:
                    raise Failure(position, "the previous event of the stream is at position %d, "
                                  "but the export lists position %d before it"
                                  % (back, previous_event[0]))
                if event["stream_version"] != previous_event[1] + 1:
                    raise Failure(position, "stream version %d does not follow version %d"
                                  % (event["stream_version"], previous_event[1]))
            previous_event = (position, event["stream_version"])
            events += 1
            in_period += counted
        leaf = unhex(record["leaf"], position, "leaf")
        chain = sha256(CHAIN_PREFIX, chain, position.to_bytes(8, "big"), leaf)
        if chain != unhex(record["hash"], position, "hash"):
            raise Failure(position, "the chain does not verify: the export says %s, recomputed %s"
                          % (record["hash"], chain.hex()))
        if digest is not None and position == digest[0]:
            computed[position] = chain
        expected += 1
    if expected != head_position + 1:
        raise Failure(expected, "missing from the export (it ends before the head, position %d)"
                      % head_position)
    if chain != unhex(head_hex, head_position, "the head hash"):
        raise Failure(head_position, "the recomputed head %s is not the head the export states"
                      % chain.hex())
    if digest is not None:
        position, want = digest
        if position not in computed:
            raise Failure(position, "the digest's position is outside the export's chain "
                          "(positions %d..%d); export again with --verified-position %d"
                          % (anchor_position, head_position, position))
        if computed[position] != want:
            raise Failure(position, "the chain recomputed to this position gives %s, "
                          "but the trusted digest says %s" % (computed[position].hex(), want.hex()))
    return events, in_period, head_position, chain


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="the file written by ledgerctl report audit")
    parser.add_argument("--digest", help="POSITION:HEX from an earlier `ledgerctl digest` "
                        "(the auditor's last verified head)")
    args = parser.parse_args(argv)
    digest = None
    if args.digest:
        try:
            position, hex_hash = args.digest.split(":", 1)
            digest = (int(position), bytes.fromhex(hex_hash))
            if len(digest[1]) != 32:
                raise ValueError("not 32 bytes")
        except ValueError as error:
            print("verify_audit: --digest: expected POSITION:64-hex-digits (%s)" % error,
                  file=sys.stderr)
            return 2
    try:
        with open(args.export, encoding="utf-8") as f:
            text = f.read()
        export = load_json(text) if text.lstrip().startswith("{") else load_csv(text)
    except (OSError, ValueError, KeyError) as error:
        print("verify_audit: cannot read %s: %s" % (args.export, error), file=sys.stderr)
        return 2
    try:
        events, in_period, head_position, head = verify(export, digest)
    except Failure as failure:
        print("FAILED at position %d: %s" % (failure.position, failure.problem))
        return 1
    print("OK: %s, %d events listed (%d in the period %s..%s), chain %d..%d"
          % (export["stream"], events, in_period, export["from"], export["to"],
             export["anchor"][0], head_position))
    if digest is None:
        print("WARNING: no --digest given: the export is consistent with itself but nothing "
              "ties it to a head you trust")
    else:
        print("the chain passes through the trusted digest at position %d" % digest[0])
    print("new verified head: %d:%s" % (head_position, head.hex()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
