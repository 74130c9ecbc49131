#!/usr/bin/env python3
"""An example Python client of the Six Hearts ledger.

Appends a client, an invoice and a partial payment (idempotently: the event ids are
UUIDs derived from --client, so running it twice stores nothing new), reads the
receivables aging for that client, and follows a subscription until it has seen the
client's events.

Stubs are generated from proto/ by the build (clients/python/CMakeLists.txt) with
protoc --python_out and grpc_python_plugin; pass their directory with --stubs or
PYTHONPATH. Only Debian packages are needed: python3-grpcio, python3-protobuf.

    python3 ledger_example.py --server 127.0.0.1:50051 --stubs build/clients/python/gen
"""

import argparse
import sys
import time
import uuid


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1:50051", help="ledgerd HOST:PORT")
    parser.add_argument("--stubs", help="directory of the generated *_pb2*.py modules")
    parser.add_argument("--client", default="py-example", help="client id to use")
    parser.add_argument("--as-of", default="2026-03-31", help="aging business day YYYY-MM-DD")
    parser.add_argument("--timeout-s", type=float, default=10.0, help="per-call deadline")
    parser.add_argument("--request-id", default="", help="x-request-id sent with the append")
    parser.add_argument("--read-only", action="store_true",
                        help="skip the append (for a read replica); read and follow only")
    return parser.parse_args()


ARGS = parse_args()
if ARGS.stubs:
    sys.path.insert(0, ARGS.stubs)

import grpc  # noqa: E402  (after the stubs path is set)
from google.protobuf import timestamp_pb2  # noqa: E402
from sixhearts.ledger.v1 import event_store_pb2, event_store_pb2_grpc  # noqa: E402
from sixhearts.ledger.v1 import events_pb2, receivables_pb2, receivables_pb2_grpc  # noqa: E402

# A fixed namespace: the same client and event name always give the same event id, the
# ledger's idempotency key.
NAMESPACE = uuid.UUID("6b1c1f64-0d2a-4e41-9d1e-5f2b7a0c9e11")


def event_id(client, name):
    return str(uuid.uuid5(NAMESPACE, client + "/" + name))


def date(text):
    year, month, day = (int(part) for part in text.split("-"))
    return events_pb2.Date(year=year, month=month, day=day)


def noon(text):
    ts = timestamp_pb2.Timestamp()
    ts.FromJsonString(text + "T12:00:00Z")
    return ts


def envelope(client, name, day):
    return events_pb2.Event(
        event_id=event_id(client, name), stream="client-" + client, occurred_at=noon(day))


def client_events(client):
    """The client's story: registered, invoiced 1,000.00 CNY, paid 400.00 of it."""
    registered = envelope(client, "registered", "2026-01-05")
    registered.client_registered.CopyFrom(events_pb2.ClientRegistered(
        client_id=client, name="Municipal Bureau " + client,
        jurisdiction=events_pb2.JURISDICTION_CN,
        client_kind=events_pb2.CLIENT_KIND_GOVERNMENT_ORGAN, seller_is_sme=True))
    invoiced = envelope(client, "invoice-1", "2026-01-10")
    invoiced.invoice_issued.CopyFrom(events_pb2.InvoiceIssued(
        invoice_id="INV-1", amount=events_pb2.Money(amount_minor=100000, currency="CNY"),
        issue_date=date("2026-01-10"), due_date=date("2026-02-09")))
    paid = envelope(client, "payment-1", "2026-02-20")
    paid.payment_received.CopyFrom(events_pb2.PaymentReceived(
        payment_id="PAY-1", amount=events_pb2.Money(amount_minor=40000, currency="CNY"),
        value_date=date("2026-02-20"),
        allocations=[events_pb2.Allocation(invoice_id="INV-1", amount_minor=40000)]))
    return [registered, invoiced, paid]


def major(minor):
    return "{:,.2f}".format(minor / 100)


def main():
    channel = grpc.insecure_channel(ARGS.server)
    store = event_store_pb2_grpc.EventStoreStub(channel)
    receivables = receivables_pb2_grpc.ReceivablesStub(channel)

    # 1. Append, all or nothing, durable on return.
    events = client_events(ARGS.client)
    metadata = [("x-request-id", ARGS.request_id)] if ARGS.request_id else []
    if ARGS.read_only:
        last_position = store.Digest(event_store_pb2.DigestRequest(),
                                     timeout=ARGS.timeout_s).head_position
        print("head position={}".format(last_position))
    else:
        try:
            response = store.Append(event_store_pb2.AppendRequest(events=events),
                                    timeout=ARGS.timeout_s, metadata=metadata)
        except grpc.RpcError as error:
            # Every error names the field at fault, e.g. events[1].invoice_issued.due_date.
            print("append failed: {}: {}".format(error.code().name, error.details()))
            return 1
        print("appended positions={} duplicate={}".format(
            ",".join(str(p) for p in response.positions), response.duplicate))
        last_position = max(response.positions)

    # 2. Aging of this client as of a business day (waits for the projection: the
    # response's position says which log position the report includes).
    aging = None
    for _ in range(100):
        aging = receivables.Aging(receivables_pb2.AgingRequest(
            as_of=date(ARGS.as_of), group_by=receivables_pb2.AGING_GROUP_BY_CLIENT),
            timeout=ARGS.timeout_s)
        if aging.position >= last_position:
            break
        time.sleep(0.05)
    labels = [bucket.label for bucket in aging.buckets]
    for row in aging.rows:
        if row.group != ARGS.client:
            continue
        buckets = ", ".join("{}={}".format(label, major(amount))
                            for label, amount in zip(labels, row.outstanding_by_bucket_minor)
                            if amount)
        print("aging as_of={} client={} currency={} outstanding={} [{}]".format(
            ARGS.as_of, row.group, row.currency, major(row.outstanding_minor), buckets))

    # 3. Follow a subscription from the start of the log until this client's events have
    # all come by (catch-up, then live in the same stream).
    wanted = {e.event_id for e in events}
    subscription = store.Subscribe(event_store_pb2.SubscribeRequest(
        after_position=0,
        filter=event_store_pb2.EventFilter(stream_prefix="client-" + ARGS.client)),
        timeout=ARGS.timeout_s)
    try:
        for message in subscription:
            for event in message.events:
                print("event position={} stream={} version={} type={}".format(
                    event.position, event.stream, event.stream_version,
                    event.WhichOneof("payload")))
                wanted.discard(event.event_id)
            if not wanted:
                break
    finally:
        subscription.cancel()
    print("followed subscription: saw all {} events".format(len(events)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
