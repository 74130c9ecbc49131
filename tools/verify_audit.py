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

An export on proofs (`ledgerctl report audit --proofs`) is checked against the ledger's
checkpoint key instead (ledger/FORMAT.md "Audit export on proofs"): the signed checkpoint
(Ed25519, python3-cryptography), every event's RFC 9162 inclusion proof in its tree, the
consistency proof from the auditor's last checkpoint (a failure is a FORKED HISTORY), and
every readable field, payload included, against the committed bytes.

A compliance report on proofs (`ledgerctl report compliance --with-proofs`, JSON) is
checked with the same key (ledger/FORMAT.md "Report on proofs"): its signed checkpoint,
every proven event's inclusion proof in that tree, and, for each listed invoice, its
amount, currency, dates, paid, credited, written-off, outstanding, disputed and overdue
figures recomputed here from the proven events alone, as the receivables fold does.

Usage: verify_audit.py EXPORT [--digest POSITION:HEX]
       verify_audit.py EXPORT --key VKEY [--checkpoint LAST_CHECKPOINT]
       verify_audit.py REPORT --key VKEY
Exit codes: 0 verified; 1 the export does not verify (the first bad position, or the
invoice and figure, is named); 2 unreadable input or bad arguments.
"""

import argparse
import base64
import csv
import datetime
import hashlib
import io
import json
import os
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
    36: "PaymentReversed", 37: "InvoiceAmended",
    40: "PromiseToPayMade", 41: "PromiseToPayCancelled", 42: "DisputeOpened",
    43: "DisputeResolved",
    50: "InteractionLogged", 51: "ConcernRaised", 52: "ConcernResolved",
    53: "SurveyRecorded", 54: "FeedbackMeetingHeld", 55: "CollectionPlanSet",
    56: "PlanStepCompleted", 57: "FollowUpScheduled", 58: "FollowUpCompleted",
    60: "SubjectErased",
}


# The message and enum schema of proto/sixhearts/ledger/v1/events.proto, by field number:
# (name, type, repeated). Written out here so the checker needs no ledger code.
EVENT_MESSAGES = {'AccountOwnerAssigned': {1: ('owner', 'string', False)},
 'Allocation': {1: ('invoice_id', 'string', False),
                2: ('amount_minor', 'int64', False)},
 'ClientRegistered': {1: ('client_id', 'string', False),
                      2: ('name', 'string', False),
                      3: ('jurisdiction', 'Jurisdiction', False),
                      4: ('client_kind', 'ClientKind', False),
                      5: ('seller_is_sme', 'bool', False),
                      6: ('region', 'string', False),
                      7: ('sealed_name', 'SealedPersonalData', False)},
 'ClientUpdated': {1: ('name', 'string', False),
                   2: ('jurisdiction', 'Jurisdiction', False),
                   3: ('client_kind', 'ClientKind', False),
                   4: ('seller_is_sme_changed', 'bool', False),
                   5: ('seller_is_sme', 'bool', False),
                   6: ('region', 'string', False),
                   7: ('sealed_name', 'SealedPersonalData', False)},
 'CollectionPlanSet': {1: ('plan_id', 'string', False),
                       2: ('steps', 'PlanStep', True),
                       3: ('owner', 'string', False)},
 'ConcernRaised': {1: ('concern_id', 'string', False),
                   2: ('summary', 'string', False),
                   3: ('raised_on', 'Date', False),
                   4: ('sealed_summary', 'SealedPersonalData', False)},
 'ConcernResolved': {1: ('concern_id', 'string', False),
                     2: ('resolution', 'string', False),
                     3: ('resolved_on', 'Date', False)},
 'Contact': {1: ('name', 'string', False),
             2: ('phone', 'string', False),
             3: ('email', 'string', False),
             4: ('role', 'string', False),
             5: ('subject_id', 'string', False),
             6: ('sealed', 'SealedPersonalData', False),
             7: ('erased', 'bool', False)},
 'ContractAmended': {1: ('contract_id', 'string', False),
                     2: ('amount', 'Money', False),
                     3: ('payment_terms_days', 'int32', False),
                     4: ('acceptance_period_days', 'int32', False),
                     5: ('late_interest_rate_bps', 'int32', False),
                     6: ('reason', 'string', False),
                     7: ('amended_on', 'Date', False)},
 'ContractSigned': {1: ('contract_id', 'string', False),
                    2: ('amount', 'Money', False),
                    3: ('signed_on', 'Date', False),
                    4: ('payment_terms_days', 'int32', False),
                    5: ('acceptance_required', 'bool', False),
                    6: ('acceptance_period_days', 'int32', False),
                    7: ('late_interest_rate_bps', 'int32', False),
                    8: ('title', 'string', False)},
 'CreditNoteIssued': {1: ('credit_note_id', 'string', False),
                      2: ('invoice_id', 'string', False),
                      3: ('amount', 'Money', False),
                      4: ('issue_date', 'Date', False),
                      5: ('reason', 'string', False)},
 'Date': {1: ('year', 'int32', False),
          2: ('month', 'int32', False),
          3: ('day', 'int32', False)},
 'DisputeOpened': {1: ('dispute_id', 'string', False),
                   2: ('invoice_id', 'string', False),
                   3: ('amount_minor', 'int64', False),
                   4: ('reason', 'string', False),
                   5: ('opened_on', 'Date', False),
                   6: ('sealed_reason', 'SealedPersonalData', False)},
 'DisputeResolved': {1: ('dispute_id', 'string', False),
                     2: ('outcome', 'DisputeOutcome', False),
                     3: ('conceded_minor', 'int64', False),
                     4: ('resolved_on', 'Date', False),
                     5: ('note', 'string', False)},
 'Event': {1: ('event_id', 'string', False),
           2: ('stream', 'string', False),
           3: ('stream_version', 'uint64', False),
           4: ('position', 'uint64', False),
           5: ('occurred_at', 'google.protobuf.Timestamp', False),
           6: ('recorded_at', 'google.protobuf.Timestamp', False),
           7: ('actor', 'string', False),
           8: ('correlation_id', 'string', False),
           9: ('causation_id', 'string', False),
           10: ('schema_version', 'uint32', False),
           11: ('hash', 'bytes', False),
           12: ('previous_stream_position', 'uint64', False),
           20: ('client_registered', 'ClientRegistered', False),
           21: ('client_updated', 'ClientUpdated', False),
           22: ('account_owner_assigned', 'AccountOwnerAssigned', False),
           23: ('contract_signed', 'ContractSigned', False),
           24: ('contract_amended', 'ContractAmended', False),
           30: ('invoice_issued', 'InvoiceIssued', False),
           31: ('invoice_accepted', 'InvoiceAccepted', False),
           32: ('payment_received', 'PaymentReceived', False),
           33: ('payment_allocated', 'PaymentAllocated', False),
           34: ('credit_note_issued', 'CreditNoteIssued', False),
           35: ('invoice_written_off', 'InvoiceWrittenOff', False),
           36: ('payment_reversed', 'PaymentReversed', False),
           37: ('invoice_amended', 'InvoiceAmended', False),
           40: ('promise_to_pay_made', 'PromiseToPayMade', False),
           41: ('promise_to_pay_cancelled', 'PromiseToPayCancelled', False),
           42: ('dispute_opened', 'DisputeOpened', False),
           43: ('dispute_resolved', 'DisputeResolved', False),
           50: ('interaction_logged', 'InteractionLogged', False),
           51: ('concern_raised', 'ConcernRaised', False),
           52: ('concern_resolved', 'ConcernResolved', False),
           53: ('survey_recorded', 'SurveyRecorded', False),
           54: ('feedback_meeting_held', 'FeedbackMeetingHeld', False),
           55: ('collection_plan_set', 'CollectionPlanSet', False),
           56: ('plan_step_completed', 'PlanStepCompleted', False),
           57: ('follow_up_scheduled', 'FollowUpScheduled', False),
           58: ('follow_up_completed', 'FollowUpCompleted', False),
           60: ('subject_erased', 'SubjectErased', False)},
 'FeedbackMeetingHeld': {1: ('meeting_id', 'string', False),
                         2: ('held_on', 'Date', False),
                         3: ('collection_review', 'bool', False),
                         4: ('summary', 'string', False),
                         5: ('attendees', 'Contact', True),
                         6: ('sealed_summary', 'SealedPersonalData', False)},
 'FollowUpCompleted': {1: ('follow_up_id', 'string', False),
                       2: ('completed_on', 'Date', False),
                       3: ('note', 'string', False)},
 'FollowUpScheduled': {1: ('follow_up_id', 'string', False),
                       2: ('due_date', 'Date', False),
                       3: ('heart', 'Heart', False),
                       4: ('action', 'string', False),
                       5: ('owner', 'string', False)},
 'InteractionLogged': {1: ('interaction_id', 'string', False),
                       2: ('kind', 'InteractionKind', False),
                       3: ('hearts', 'Heart', True),
                       4: ('summary', 'string', False),
                       5: ('contact', 'Contact', False),
                       6: ('owner', 'string', False),
                       7: ('channel', 'Channel', False),
                       8: ('sentiment', 'int32', False),
                       9: ('sealed_summary', 'SealedPersonalData', False)},
 'InvoiceAccepted': {1: ('invoice_id', 'string', False),
                     2: ('acceptance_date', 'Date', False)},
 'InvoiceAmended': {1: ('invoice_id', 'string', False),
                    2: ('amount', 'Money', False),
                    3: ('issue_date', 'Date', False),
                    4: ('due_date', 'Date', False),
                    5: ('reason', 'string', False),
                    6: ('source', 'string', False),
                    7: ('amended_on', 'Date', False),
                    8: ('delivery_date', 'Date', False)},
 'InvoiceIssued': {1: ('invoice_id', 'string', False),
                   2: ('contract_id', 'string', False),
                   3: ('amount', 'Money', False),
                   4: ('issue_date', 'Date', False),
                   5: ('due_date', 'Date', False),
                   6: ('delivery_date', 'Date', False),
                   7: ('received_date', 'Date', False)},
 'InvoiceWrittenOff': {1: ('invoice_id', 'string', False),
                       2: ('amount_minor', 'int64', False),
                       3: ('written_off_on', 'Date', False),
                       4: ('reason', 'string', False)},
 'Money': {1: ('amount_minor', 'int64', False),
           2: ('currency', 'string', False)},
 'PaymentAllocated': {1: ('payment_id', 'string', False),
                      2: ('allocations', 'Allocation', True),
                      3: ('allocated_on', 'Date', False)},
 'PaymentReceived': {1: ('payment_id', 'string', False),
                     2: ('amount', 'Money', False),
                     3: ('value_date', 'Date', False),
                     4: ('allocations', 'Allocation', True),
                     5: ('reference', 'string', False)},
 'PaymentReversed': {1: ('payment_id', 'string', False),
                     2: ('reversed_on', 'Date', False),
                     3: ('reason', 'string', False)},
 'PlanStep': {1: ('step_id', 'string', False),
              2: ('action', 'string', False),
              3: ('due_date', 'Date', False),
              4: ('expected', 'Money', False)},
 'PlanStepCompleted': {1: ('plan_id', 'string', False),
                       2: ('step_id', 'string', False),
                       3: ('completed_on', 'Date', False),
                       4: ('note', 'string', False)},
 'PromiseToPayCancelled': {1: ('promise_id', 'string', False),
                           2: ('reason', 'string', False)},
 'PromiseToPayMade': {1: ('promise_id', 'string', False),
                      2: ('amount', 'Money', False),
                      3: ('promised_date', 'Date', False),
                      4: ('invoice_ids', 'string', True),
                      5: ('contact', 'Contact', False)},
 'SealedPersonalData': {1: ('key_id', 'bytes', False),
                        2: ('nonce', 'bytes', False),
                        3: ('ciphertext', 'bytes', False)},
 'SubjectErased': {1: ('subject_id', 'string', False),
                   2: ('reason', 'string', False)},
 'SurveyRecorded': {1: ('survey_id', 'string', False),
                    2: ('score', 'int32', False),
                    3: ('comment', 'string', False),
                    4: ('surveyed_on', 'Date', False),
                    5: ('sealed_comment', 'SealedPersonalData', False)}}

EVENT_ENUMS = {'Channel': {0: 'CHANNEL_UNSPECIFIED',
             1: 'CHANNEL_IN_PERSON',
             2: 'CHANNEL_PHONE',
             3: 'CHANNEL_EMAIL',
             4: 'CHANNEL_MESSAGING',
             5: 'CHANNEL_VIDEO',
             6: 'CHANNEL_LETTER'},
 'ClientKind': {0: 'CLIENT_KIND_UNSPECIFIED',
                1: 'CLIENT_KIND_GOVERNMENT_ORGAN',
                2: 'CLIENT_KIND_PUBLIC_INSTITUTION',
                3: 'CLIENT_KIND_STATE_OWNED_ENTERPRISE',
                4: 'CLIENT_KIND_PRIVATE'},
 'DisputeOutcome': {0: 'DISPUTE_OUTCOME_UNSPECIFIED',
                    1: 'DISPUTE_OUTCOME_UPHELD',
                    2: 'DISPUTE_OUTCOME_REJECTED',
                    3: 'DISPUTE_OUTCOME_PARTIAL'},
 'Heart': {0: 'HEART_UNSPECIFIED',
           1: 'HEART_TRUST',
           2: 'HEART_CARE',
           3: 'HEART_LISTENING',
           4: 'HEART_COMMUNICATION',
           5: 'HEART_EXECUTION',
           6: 'HEART_FEEDBACK'},
 'InteractionKind': {0: 'INTERACTION_KIND_UNSPECIFIED',
                     1: 'INTERACTION_KIND_PRE_PROJECT_RESEARCH',
                     2: 'INTERACTION_KIND_CONSULTING',
                     3: 'INTERACTION_KIND_INDUSTRY_EVENT',
                     4: 'INTERACTION_KIND_ON_SITE_VISIT',
                     5: 'INTERACTION_KIND_INDUSTRY_REPORT_SENT',
                     6: 'INTERACTION_KIND_MARKET_ANALYSIS_SENT',
                     7: 'INTERACTION_KIND_CHECK_IN_CALL',
                     8: 'INTERACTION_KIND_INTERVIEW',
                     9: 'INTERACTION_KIND_SURVEY',
                     10: 'INTERACTION_KIND_PROGRESS_REPORT',
                     11: 'INTERACTION_KIND_MEETING',
                     12: 'INTERACTION_KIND_CALL',
                     13: 'INTERACTION_KIND_EMAIL',
                     14: 'INTERACTION_KIND_MESSAGE',
                     15: 'INTERACTION_KIND_FEEDBACK_MEETING',
                     16: 'INTERACTION_KIND_COLLECTION_REVIEW'},
 'Jurisdiction': {0: 'JURISDICTION_UNSPECIFIED',
                  1: 'JURISDICTION_CN',
                  2: 'JURISDICTION_US',
                  3: 'JURISDICTION_EU',
                  4: 'JURISDICTION_OTHER'}}



class Failure(Exception):
    def __init__(self, position, problem, where=None):
        super().__init__(problem)
        self.position = position
        self.problem = problem
        self.where = where or "position %d" % position


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
        # Every field of the readable event, payload included, against the bytes.
        try:
            decoded_event = decode_message(data, "Event")
        except (ValueError, UnicodeDecodeError) as error:
            raise Failure(position, "the event bytes do not parse: %s" % error)
        compare_message("Event", decoded_event, detail, "event", position)
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


# ------------------------------------------------------------ the export on Merkle proofs

def node_hash(left, right):
    return sha256(b"\x01", left, right)


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, path):
    """RFC 9162 2.1.4.2; equal sizes need equal roots, the empty tree precedes all."""
    if first > second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path
    if not path:
        return False
    nodes = ([first_root] if first & (first - 1) == 0 else []) + list(path)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


class VerifierKey:
    """A note verifier key, NAME+HEXKEYID+BASE64(0x01 || Ed25519 public key)."""

    def __init__(self, text):
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise ValueError("expected NAME+KEYID+KEY")
        self.name, key_id, key = parts
        raw = base64.b64decode(key, validate=True)
        if len(raw) != 33 or raw[0] != 1:
            raise ValueError("not an Ed25519 note key")
        self.public_key = raw[1:]
        self.key_id = bytes.fromhex(key_id)
        if sha256(self.name.encode() + b"\n" + raw)[:4] != self.key_id:
            raise ValueError("the key id does not match the key")


def open_checkpoint(note, key, what):
    """Checks the signed note's signature by `key`; returns (origin, size, root)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    split = note.rfind("\n\n")
    if split < 0:
        raise Failure(0, "%s is not a signed note" % what)
    body, signatures = note[:split + 1], note[split + 2:]
    verified = False
    for line in signatures.splitlines():
        if not line.startswith("\u2014 "):
            raise Failure(0, "%s has a malformed signature line" % what)
        name, _, blob = line[2:].partition(" ")
        if name != key.name:
            continue
        raw = base64.b64decode(blob)
        if raw[:4] != key.key_id:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(raw[4:], body.encode())
        except InvalidSignature:
            raise Failure(0, "the signature of %s by %s does not verify" % (what, key.name))
        verified = True
    if not verified:
        raise Failure(0, "%s carries no signature by %s" % (what, key.name))
    lines = body.split("\n")
    if len(lines) < 4 or not lines[1].isdigit():
        raise Failure(0, "%s is not a checkpoint (origin, size, root)" % what)
    root = base64.b64decode(lines[2])
    if len(root) != 32:
        raise Failure(0, "%s: the root hash is not 32 bytes" % what)
    return lines[0], int(lines[1]), root


def signed64(value):
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def decode_value(kind, wire, value):
    if kind in EVENT_MESSAGES:
        return decode_message(value, kind)
    if kind == "google.protobuf.Timestamp":
        return timestamp(value)
    if kind == "string":
        return value.decode("utf-8")
    if kind == "bytes":
        return base64.b64encode(value).decode()
    if kind == "bool":
        return bool(value)
    if kind in ("int64", "int32"):
        return signed64(value)
    if kind in ("uint64", "uint32"):
        return value
    if kind in EVENT_ENUMS:
        return EVENT_ENUMS[kind].get(value, value)
    raise ValueError("unknown type %s" % kind)


def decode_message(data, name):
    """The message as (name -> value), the way protobuf JSON shows it before formatting."""
    schema = EVENT_MESSAGES[name]
    out = {}
    for number, wire, value in fields(data):
        if number not in schema:
            raise ValueError("field %d is not in %s" % (number, name))
        field, kind, repeated = schema[number]
        if repeated and wire == 2 and kind not in EVENT_MESSAGES and kind not in (
                "string", "bytes", "google.protobuf.Timestamp"):
            offset, items = 0, []
            while offset < len(value):
                item, offset = read_varint(value, offset)
                items.append(decode_value(kind, 0, item))
            out.setdefault(field, []).extend(items)
        elif repeated:
            out.setdefault(field, []).append(decode_value(kind, wire, value))
        else:
            out[field] = decode_value(kind, wire, value)
    return out


def parse_json_timestamp(text):
    """RFC 3339 with Z, as protobuf JSON writes it, to (seconds, nanos)."""
    if not isinstance(text, str) or not text.endswith("Z"):
        return None
    main, _, fraction = text[:-1].partition(".")
    day = datetime.datetime.strptime(main, "%Y-%m-%dT%H:%M:%S")
    seconds = int((day - datetime.datetime(1970, 1, 1)).total_seconds())
    return seconds, int((fraction + "000000000")[:9]) if fraction else 0


# Shown opened (or "[erased]") but stored sealed: not provable from the bytes.
SEALED_CONTACT_FIELDS = {"name", "phone", "email", "erased", "sealed"}


def compare_message(name, decoded, shown, path, position):
    """Every field of the readable object equals the field decoded from the bytes."""
    if not isinstance(shown, dict):
        raise Failure(position, "%s is shown as %r, not an object" % (path, shown))
    schema = {field: (kind, repeated) for field, kind, repeated in EVENT_MESSAGES[name].values()}
    for key in sorted(set(decoded) | set(shown)):
        here = "%s.%s" % (path, key)
        if name == "Contact" and key in SEALED_CONTACT_FIELDS:
            continue
        # Free text stored sealed (ledger/FORMAT.md "Personal data"): the bytes hold only
        # sealed_<key>, the export shows it opened or "[erased]"; neither is provable.
        if key.startswith("sealed_") or "sealed_" + key in decoded:
            continue
        if name == "Event" and key == "hash":
            continue  # the chain hash, set on read; not in the bytes
        if key not in schema:
            raise Failure(position, "%s is shown but the event has no such field" % here)
        kind, repeated = schema[key]
        want = decoded.get(key, [] if repeated else None)
        got = shown.get(key, [] if repeated else None)
        if repeated:
            if not isinstance(got, list) or len(got) != len(want):
                raise Failure(position, "%s shown with %s items but the event bytes have %d"
                              % (here, len(got) if isinstance(got, list) else "no", len(want)))
            for i, (w, g) in enumerate(zip(want, got)):
                compare_value(kind, w, g, "%s[%d]" % (here, i), position)
        else:
            compare_value(kind, want, got, here, position)


def compare_value(kind, want, got, path, position):
    if kind in EVENT_MESSAGES:
        if want is None and got in (None, {}):
            return
        compare_message(kind, want or {}, got if got is not None else {}, path, position)
        return
    if kind == "google.protobuf.Timestamp":
        if want is None and got is None:
            return
        if want != parse_json_timestamp(got):
            raise Failure(position, "%s shown as %r but the event bytes say %s"
                          % (path, got, format_timestamp(*want) if want else "nothing"))
        return
    if kind in ("int64", "int32", "uint64", "uint32"):
        want_number = want or 0
        try:
            got_number = int(got) if got is not None else 0
        except (TypeError, ValueError):
            got_number = None
        if got_number != want_number or isinstance(got, bool) or isinstance(got, float):
            raise Failure(position, "%s shown as %r but the event bytes say %d"
                          % (path, got, want_number))
        return
    default = {"string": "", "bytes": "", "bool": False}.get(kind)
    if kind in EVENT_ENUMS:
        default = EVENT_ENUMS[kind].get(0)
    if (want if want is not None else default) != (got if got is not None else default):
        raise Failure(position, "%s shown as %r but the event bytes say %r" % (path, got, want))


def verify_proofs(doc, key, last_checkpoint):
    """The export on proofs: signature, inclusion of every event, consistency, fields."""
    _, size, root = open_checkpoint(doc.get("checkpoint", ""), key, "the export's checkpoint")
    if size != int(doc["tree_size"]) or root.hex() != doc["tree_root"]:
        raise Failure(0, "the export's tree (size %s, root %s) is not its signed checkpoint's "
                      "(size %d, root %s)" % (doc["tree_size"], doc["tree_root"], size, root.hex()))
    if last_checkpoint is not None:
        _, last_size, last_root = open_checkpoint(last_checkpoint, key, "your last checkpoint")
        fork = None
        if last_size > size:
            fork = "your last checkpoint is of a larger tree than the export's"
        elif int(doc["verified_position"]) != last_size:
            raise Failure(0, "the export's consistency proof starts at tree size %s, your last "
                          "checkpoint is of size %d; export again with --verified-position %d"
                          % (doc["verified_position"], last_size, last_size))
        elif not verify_consistency(last_size, size, last_root, root,
                                    [unhex(h, 0, "consistency path") for h in
                                     doc["consistency_path"]]):
            fork = ("the consistency proof from tree size %d to %d does not hold"
                    % (last_size, size)) if last_size != size else \
                "two checkpoints of tree size %d with different roots" % size
        if fork:
            raise Failure(0, "FORKED HISTORY: %s\n--- your last checkpoint:\n%s--- the "
                          "export's checkpoint:\n%s" % (fork, last_checkpoint, doc["checkpoint"]))
    period = ((day_start(doc["from"]), 0), (day_start(doc["to"]) + 86400, 0))
    export = {"stream": doc["stream"]}
    previous = None
    events = in_period = 0
    for record in doc["records"]:
        position = int(record["position"])
        event, counted = check_event(export, record, position, period)
        leaf = unhex(record["leaf"], position, "leaf")
        path = [unhex(h, position, "inclusion path") for h in record.get("inclusion_path", [])]
        if not verify_inclusion(position - 1, size, leaf, path, root):
            raise Failure(position, "the inclusion proof does not lead to the checkpoint's root")
        if not isinstance(record.get("event"), dict):
            raise Failure(position, "the readable event is missing")
        back = event["previous_stream_position"]
        if previous is None:
            if back >= position:
                raise Failure(position, "the previous event of the stream is at position %d, "
                              "not before it" % back)
        else:
            if back != previous[0]:
                raise Failure(position, "the previous event of the stream is at position %d, "
                              "but the export lists position %d before it" % (back, previous[0]))
            if event["stream_version"] != previous[1] + 1:
                raise Failure(position, "stream version %d does not follow version %d"
                              % (event["stream_version"], previous[1]))
        previous = (position, event["stream_version"])
        events += 1
        in_period += counted
    return events, in_period, size, root


# ------------------------------------------------------- the compliance report on proofs

def civil_day(date, what, where):
    """A Date message decoded from the bytes (year, month, day) as a datetime.date."""
    try:
        return datetime.date(date.get("year", 0), date.get("month", 0), date.get("day", 0))
    except (AttributeError, ValueError):
        raise Failure(0, "%s is not a valid date: %r" % (what, date), where)


def recompute_invoice(invoice_id, events, as_of, where):
    """The invoice's figures on `as_of` from its proven events (in log order), folded the
    way services/receivables/receivables_state.cc does: movements of payments, credit notes
    and write-offs with the day each takes effect, voided from a payment's reversal on, and
    disputes open on a day. Events the fold would ignore are ignored here alike."""
    invoice = None
    payments = {}  # payment id -> {"value": day, "reversed": day or None}
    movements = []  # [kind, effective day, amount, payment id, voided day or None]
    credit_notes = set()
    disputes = {}  # dispute id -> [amount, opened day, resolved day or None]
    for position, event in events:
        if "invoice_issued" in event:
            p = event["invoice_issued"]
            money = p.get("amount", {})
            if (p.get("invoice_id") == invoice_id and invoice is None
                    and money.get("amount_minor", 0) > 0 and money.get("currency")):
                invoice = {"amount_minor": money["amount_minor"], "currency": money["currency"],
                           "contract_id": p.get("contract_id", ""),
                           "issue_date": civil_day(p.get("issue_date", {}), "issue_date", where),
                           "due_date": civil_day(p.get("due_date", {}), "due_date", where)}
        elif "payment_received" in event:
            p = event["payment_received"]
            pid = p.get("payment_id", "")
            if not pid or pid in payments:
                continue
            value = civil_day(p.get("value_date", {}), "value_date", where)
            payments[pid] = {"value": value, "reversed": None}
            if invoice is not None:
                for a in p.get("allocations", []):
                    if a.get("invoice_id") == invoice_id:
                        movements.append(["paid", value, a.get("amount_minor", 0), pid, None])
        elif "payment_allocated" in event:
            p = event["payment_allocated"]
            payment = payments.get(p.get("payment_id", ""))
            if payment is None or payment["reversed"] is not None or invoice is None:
                continue
            day = max(civil_day(p.get("allocated_on", {}), "allocated_on", where),
                      payment["value"])
            for a in p.get("allocations", []):
                if a.get("invoice_id") == invoice_id:
                    movements.append(["paid", day, a.get("amount_minor", 0),
                                      p["payment_id"], None])
        elif "payment_reversed" in event:
            p = event["payment_reversed"]
            payment = payments.get(p.get("payment_id", ""))
            if payment is None or payment["reversed"] is not None:
                continue
            payment["reversed"] = civil_day(p.get("reversed_on", {}), "reversed_on", where)
            for m in movements:
                if m[0] == "paid" and m[3] == p["payment_id"] and m[4] is None:
                    m[4] = payment["reversed"]
        elif "credit_note_issued" in event:
            p = event["credit_note_issued"]
            money = p.get("amount", {})
            cid = p.get("credit_note_id", "")
            if (invoice is None or p.get("invoice_id") != invoice_id or not cid
                    or cid in credit_notes or money.get("amount_minor", 0) <= 0
                    or money.get("currency") != invoice["currency"]):
                continue
            credit_notes.add(cid)
            movements.append(["credited", civil_day(p.get("issue_date", {}), "issue_date", where),
                              money["amount_minor"], "", None])
        elif "invoice_written_off" in event:
            p = event["invoice_written_off"]
            if invoice is None or p.get("invoice_id") != invoice_id or p.get("amount_minor", 0) <= 0:
                continue
            movements.append(["written_off",
                              civil_day(p.get("written_off_on", {}), "written_off_on", where),
                              p["amount_minor"], "", None])
        elif "dispute_opened" in event:
            p = event["dispute_opened"]
            did = p.get("dispute_id", "")
            if (invoice is None or p.get("invoice_id") != invoice_id or not did
                    or did in disputes or p.get("amount_minor", 0) <= 0):
                continue
            disputes[did] = [p["amount_minor"],
                             civil_day(p.get("opened_on", {}), "opened_on", where), None]
        elif "dispute_resolved" in event:
            p = event["dispute_resolved"]
            dispute = disputes.get(p.get("dispute_id", ""))
            outcome = p.get("outcome", "DISPUTE_OUTCOME_UNSPECIFIED")
            if dispute is None or dispute[2] is not None:
                continue
            if outcome == "DISPUTE_OUTCOME_PARTIAL" and not (
                    0 <= p.get("conceded_minor", 0) <= dispute[0]):
                continue
            if outcome not in ("DISPUTE_OUTCOME_UPHELD", "DISPUTE_OUTCOME_REJECTED",
                               "DISPUTE_OUTCOME_PARTIAL"):
                continue
            dispute[2] = civil_day(p.get("resolved_on", {}), "resolved_on", where)
    if invoice is None:
        raise Failure(0, "no proven InvoiceIssued of %s" % invoice_id, where)
    figures = dict(invoice, paid_minor=0, credited_minor=0, written_off_minor=0)
    if as_of >= invoice["issue_date"]:
        for kind, effective, amount, _, voided in movements:
            if effective <= as_of and not (voided is not None and voided <= as_of):
                figures[kind + "_minor"] += amount
    outstanding = 0
    if as_of >= invoice["issue_date"]:
        outstanding = (invoice["amount_minor"] - figures["paid_minor"]
                       - figures["credited_minor"] - figures["written_off_minor"])
    disputed = sum(amount for amount, opened, resolved in disputes.values()
                   if opened <= as_of and not (resolved is not None and resolved <= as_of))
    figures["outstanding_minor"] = outstanding
    figures["disputed_minor"] = min(outstanding, disputed)
    figures["owed_minor"] = max(0, outstanding - disputed)
    return figures


def verify_report(doc, key):
    """The compliance report on proofs: checkpoint, every inclusion proof, every listed
    invoice's figures recomputed from its proven events."""
    digest = doc["digest"]
    _, size, root = open_checkpoint(digest.get("checkpoint", ""), key, "the report's checkpoint")
    if size != int(digest["position"]):
        raise Failure(0, "the report's checkpoint is of tree size %d, but the report was built "
                      "at log position %s" % (size, digest["position"]))
    proofs = doc["proofs"]
    if int(proofs["tree_size"]) != size or proofs["tree_root"] != root.hex():
        raise Failure(0, "the proofs' tree (size %s, root %s) is not the signed checkpoint's "
                      "(size %d, root %s)" % (proofs["tree_size"], proofs["tree_root"], size,
                                              root.hex()))
    as_of = datetime.date.fromisoformat(doc["as_of"])
    books_end = (day_start(doc["as_of"]) + 86400, 0)
    events = {}
    for record in proofs["events"]:
        position = int(record["position"])
        try:
            data = base64.b64decode(record["event_base64"], validate=True)
        except (ValueError, TypeError):
            raise Failure(position, "event_base64 is not base64")
        leaf = sha256(LEAF_PREFIX, data)
        if leaf != unhex(record["leaf"], position, "leaf"):
            raise Failure(position, "the event bytes do not hash to the leaf (recomputed %s)"
                          % leaf.hex())
        path = [unhex(h, position, "inclusion path") for h in record.get("inclusion_path", [])]
        if not verify_inclusion(position - 1, size, leaf, path, root):
            raise Failure(position, "the inclusion proof does not lead to the checkpoint's root")
        try:
            event = decode_message(data, "Event")
        except (ValueError, UnicodeDecodeError) as error:
            raise Failure(position, "the event bytes do not parse: %s" % error)
        if event.get("position", 0) != position:
            raise Failure(position, "the event bytes say position %d" % event.get("position", 0))
        if event.get("occurred_at", (0, 0)) >= books_end:
            raise Failure(position, "the event occurred at %s, after the report's as_of %s: "
                          "not in its books" % (format_timestamp(*event["occurred_at"]),
                                                doc["as_of"]))
        events[position] = event
    invoices = 0
    for shown in doc["invoices"]:
        where = "invoice %s of client %s" % (shown.get("invoice_id"), shown.get("client_id"))
        proof = shown.get("proof")
        if not isinstance(proof, dict):
            raise Failure(0, "the invoice carries no proof", where)
        positions = [int(p) for p in proof.get("positions", [])]
        stream = "client-%s" % shown["client_id"]
        for position in positions:
            if position not in events:
                raise Failure(position, "position %d is not among the proven events" % position,
                              where)
            if events[position].get("stream") != stream:
                raise Failure(position, "the event at position %d belongs to stream %r, not %r"
                              % (position, events[position].get("stream"), stream), where)
        figures = recompute_invoice(shown["invoice_id"],
                                    [(p, events[p]) for p in sorted(set(positions))], as_of, where)
        due = shown.get("statutory_due_date")
        figures["overdue_minor"] = (figures["owed_minor"] if due is not None
                                    and as_of > datetime.date.fromisoformat(due) else 0)
        checks = [(shown, "amount_minor"), (shown, "currency"), (shown, "contract_id"),
                  (shown, "issue_date"), (shown, "contractual_due_date"),
                  (shown, "outstanding_minor"), (shown, "disputed_minor"),
                  (shown, "overdue_minor"), (proof, "paid_minor"), (proof, "credited_minor"),
                  (proof, "written_off_minor")]
        for holder, field in checks:
            want = figures["due_date" if field == "contractual_due_date" else field]
            if isinstance(want, datetime.date):
                want = want.isoformat()
            got = holder.get(field)
            if got != want or isinstance(got, bool):
                raise Failure(0, "%s%s shown as %r but the proven events give %r"
                              % ("proof." if holder is proof else "", field, got, want), where)
        invoices += 1
    return invoices, len(events), size, root


def main_report(doc, args):
    if not args.key:
        print("verify_audit: --key: required for a compliance report", file=sys.stderr)
        return 2
    if "proofs" not in doc:
        print("verify_audit: this compliance report carries no proofs: ask for it with "
              "`ledgerctl report compliance --with-proofs`", file=sys.stderr)
        return 2
    if args.checkpoint or args.digest:
        print("verify_audit: --checkpoint and --digest are for audit exports; check that the "
              "log extends a report's checkpoint with `ledgerctl proof consistency`",
              file=sys.stderr)
        return 2
    try:
        key = load_key(args.key)
    except (OSError, ValueError) as error:
        print("verify_audit: cannot read the key: %s" % error, file=sys.stderr)
        return 2
    try:
        invoices, events, size, root = verify_report(doc, key)
    except Failure as failure:
        print("FAILED at %s: %s" % (failure.where, failure.problem))
        return 1
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        print("FAILED: the report is malformed: %s" % error)
        return 1
    print("OK: compliance report as of %s, %d listed invoices recomputed from %d proven events "
          "in the signed tree of size %d (root %s)" % (doc["as_of"], invoices, events, size,
                                                        root.hex()))
    print("not recomputed here: the statutory due dates, days and interest (the rules of "
          "docs/compliance.md), and events the report does not list")
    return 0


def load_key(text):
    """The verifier key, given itself or as a file holding it."""
    if os.path.exists(text):
        with open(text, encoding="utf-8") as f:
            text = f.read()
    return VerifierKey(text)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="the file written by ledgerctl report audit")
    parser.add_argument("--digest", help="POSITION:HEX from an earlier `ledgerctl digest` "
                        "(the auditor's last verified head)")
    parser.add_argument("--key", help="the ledger's checkpoint key, NAME+KEYID+KEY from "
                        "`ledgerctl verifier-key` (or a file holding it): for exports on proofs")
    parser.add_argument("--checkpoint", help="your last verified checkpoint (a file from "
                        "`ledgerctl checkpoint -o`): the export must extend it")
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
        if text.lstrip().startswith("{") and json.loads(text).get("report") == "compliance":
            return main_report(json.loads(text), args)
        if text.lstrip().startswith("{") and json.loads(text).get("proofs"):
            return main_proofs(json.loads(text), args)
        export = load_json(text) if text.lstrip().startswith("{") else load_csv(text)
    except (OSError, ValueError, KeyError) as error:
        print("verify_audit: cannot read %s: %s" % (args.export, error), file=sys.stderr)
        return 2
    try:
        events, in_period, head_position, head = verify(export, digest)
    except Failure as failure:
        print("FAILED at %s: %s" % (failure.where, failure.problem))
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


def main_proofs(doc, args):
    if not args.key:
        print("verify_audit: --key: required for an export on proofs", file=sys.stderr)
        return 2
    try:
        key = load_key(args.key)
        last = None
        if args.checkpoint:
            with open(args.checkpoint, encoding="utf-8") as f:
                last = f.read()
    except (OSError, ValueError) as error:
        print("verify_audit: cannot read the key or checkpoint: %s" % error, file=sys.stderr)
        return 2
    try:
        events, in_period, size, root = verify_proofs(doc, key, last)
    except Failure as failure:
        print("FAILED at %s: %s" % (failure.where, failure.problem))
        return 1
    except (KeyError, ValueError, TypeError) as error:
        print("FAILED: the export is malformed: %s" % error)
        return 1
    print("OK: %s, %d events with inclusion proofs (%d in the period %s..%s) in the signed "
          "tree of size %d" % (doc["stream"], events, in_period, doc["from"], doc["to"], size))
    if last is None:
        print("WARNING: no --checkpoint given: nothing shows that this log extends the one "
              "you saw before")
    else:
        print("the log extends your last checkpoint (tree size %s)" % doc["verified_position"])
    print("new verified checkpoint: tree size %d, root %s (keep the export's checkpoint)"
          % (size, root.hex()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
