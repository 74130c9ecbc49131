#!/usr/bin/env python3
"""The Connect unary JSON form over a real ledgerd, with a plain HTTP client (urllib):
figures equal to the gRPC answer (ledgerctl), error mapping with the field named, and the
same tokens, roles and actor as gRPC with authentication on.

Usage: connect_test.py LEDGERD LEDGERCTL
"""

import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

LEDGERD, LEDGERCTL = sys.argv[1:3]

# One client, 1,000.00 CNY invoiced on 2026-01-01 due 2026-02-09, 400.00 paid on 03-01:
# on 2026-03-31 600.00 is 50 days late, in bucket 31-60.
EVENTS = [
    {"eventId": "00000000-0000-4000-8000-000000000001", "stream": "client-http-1",
     "occurredAt": "2026-01-01T00:00:00Z",
     "clientRegistered": {"clientId": "http-1", "name": "Connect Test Bureau",
                          "jurisdiction": "JURISDICTION_CN",
                          "clientKind": "CLIENT_KIND_GOVERNMENT_ORGAN"}},
    {"eventId": "00000000-0000-4000-8000-000000000002", "stream": "client-http-1",
     "occurredAt": "2026-01-01T01:00:00Z",
     "invoiceIssued": {"invoiceId": "INV-1", "amount": {"amountMinor": "100000", "currency": "CNY"},
                       "issueDate": {"year": 2026, "month": 1, "day": 1},
                       "dueDate": {"year": 2026, "month": 2, "day": 9}}},
    {"eventId": "00000000-0000-4000-8000-000000000003", "stream": "client-http-1",
     "occurredAt": "2026-03-01T01:00:00Z",
     "paymentReceived": {"paymentId": "PAY-1", "amount": {"amountMinor": "40000", "currency": "CNY"},
                         "valueDate": {"year": 2026, "month": 3, "day": 1},
                         "allocations": [{"invoiceId": "INV-1", "amountMinor": "40000"}]}},
]
AGING = {"asOf": {"year": 2026, "month": 3, "day": 31}, "groupBy": "AGING_GROUP_BY_CURRENCY"}


def new_token():
    out = subprocess.run([LEDGERCTL, "token-hash", "--new"], capture_output=True, text=True,
                         check=True).stdout
    token = re.search(r"token:\s*(\S+)", out) or re.search(r"^(\S+)$", out, re.M)
    line = re.search(r'token_hash = "[^"]+"', out)
    return token.group(1), line.group(0)


class Ledgerd:
    def __init__(self, directory, *flags):
        self.log = open(os.path.join(directory, "ledgerd.log"), "w+")
        self.process = subprocess.Popen(
            [LEDGERD, "--data-dir", os.path.join(directory, "data"), "--listen", "127.0.0.1:0",
             "--metrics-listen", "", "--console-listen", "127.0.0.1:0", *flags],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        self.grpc = self.http = None
        self.text = ""
        self.context = None  # the TLS context of HTTPS calls
        while time.time() < deadline and self.grpc is None:
            self.log.seek(0)
            text = self.text = self.log.read()
            grpc_match = re.search(r"serving on (127\.0\.0\.1:\d+)", text)
            http_match = re.search(r"console on (https?://127\.0\.0\.1:\d+)/", text)
            if grpc_match and http_match:
                self.grpc, self.http = grpc_match.group(1), http_match.group(1)
            elif self.process.poll() is not None:
                raise AssertionError("ledgerd stopped: " + text)
            else:
                time.sleep(0.05)
        assert self.grpc is not None, "ledgerd did not start"

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=30) == 0
        self.log.close()

    def call(self, procedure, body, token=None, content_type="application/json"):
        """(HTTP status, decoded JSON body) of POST /<procedure>."""
        headers = {"Content-Type": content_type}
        if token is not None:
            headers["Authorization"] = "Bearer " + token
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.http}/{procedure}", data=data, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30, context=self.context) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def ledgerctl(self, *args, token=None):
        env = dict(os.environ)
        if token is not None:
            env["LEDGER_TOKEN"] = token
        result = subprocess.run([LEDGERCTL, "--server", self.grpc, *args], capture_output=True,
                                text=True, timeout=60, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout


class ConnectWithoutAuthTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.server = Ledgerd(self.dir.name)
        status, body = self.server.call("sixhearts.ledger.v1.EventStore/Append",
                                        {"events": EVENTS})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["positions"], ["1", "2", "3"])

    def tearDown(self):
        self.server.stop()
        self.dir.cleanup()

    def test_aging_figures_equal_the_grpc_answer(self):
        status, body = self.server.call("sixhearts.ledger.v1.Receivables/Aging", AGING)
        self.assertEqual(status, 200, body)
        total = body["totals"][0]
        self.assertEqual(total["currency"], "CNY")
        self.assertEqual(total["outstandingMinor"], "60000")  # 1,000.00 - 400.00
        labels = [b["label"] for b in body["buckets"]]
        self.assertEqual(total["outstandingByBucketMinor"][labels.index("31-60")], "60000")
        self.assertEqual(body["position"], "3")
        grpc = json.loads(self.server.ledgerctl("--json", "aging", "--as-of", "2026-03-31",
                                                "--group-by", "currency"))
        self.assertEqual(grpc["position"], 3)
        self.assertEqual([int(x) for x in total["outstandingByBucketMinor"]],
                         grpc["totals"][0]["outstanding_by_bucket_minor"])
        self.assertEqual(grpc["totals"][0]["outstanding_by_bucket_minor"], [0, 0, 60000, 0, 0, 0, 0])

    def test_a_bad_request_gets_the_mapped_status_and_the_field(self):
        status, body = self.server.call("sixhearts.ledger.v1.Receivables/Aging",
                                        {"asOf": {"year": 2026, "month": 2, "day": 30}})
        self.assertEqual((status, body["code"]), (400, "invalid_argument"), body)
        self.assertIn("as_of", body["message"])
        status, body = self.server.call("sixhearts.ledger.v1.Relationships/Timeline",
                                        {"clientId": "nobody",
                                         "asOf": {"year": 2026, "month": 3, "day": 31}})
        self.assertEqual((status, body["code"]), (404, "not_found"), body)
        self.assertIn("client_id", body["message"])
        status, body = self.server.call("sixhearts.ledger.v1.Receivables/Aging", b"{not json")
        self.assertEqual((status, body["code"]), (400, "invalid_argument"), body)
        self.assertIn("request body", body["message"])
        status, body = self.server.call("sixhearts.ledger.v1.Receivables/Aging", {}, None,
                                        "text/plain")
        self.assertEqual((status, body["code"]), (415, "unimplemented"), body)
        status, body = self.server.call("sixhearts.ledger.v1.Receivables/Nothing", {})
        self.assertEqual((status, body["code"]), (404, "unimplemented"), body)
        # A 9 KB method name is quoted by its first 64 bytes (32 of the service path, 32 x) and
        # its length, 32 + 9,000 bytes.
        status, body = self.server.call("sixhearts.ledger.v1.Receivables/" + "x" * 9000, {})
        self.assertEqual((status, body["code"]), (404, "unimplemented"), body)
        self.assertEqual(body["message"], 'no procedure "sixhearts.ledger.v1.Receivables/'
                         + "x" * 32 + '"... (9032 bytes)')

    def test_a_version_conflict_is_409_aborted(self):
        event = dict(EVENTS[1], eventId="00000000-0000-4000-8000-000000000009")
        event["invoiceIssued"] = dict(event["invoiceIssued"], invoiceId="INV-2")
        status, body = self.server.call(
            "sixhearts.ledger.v1.EventStore/Append",
            {"events": [event],
             "expected": [{"stream": "client-http-1", "kind": "KIND_EXACT", "version": "1"}]})
        self.assertEqual((status, body["code"]), (409, "aborted"), body)
        self.assertIn("client-http-1", body["message"])

    def test_another_sites_name_for_the_loopback_address_is_refused(self):
        request = urllib.request.Request(
            f"{self.server.http}/sixhearts.ledger.v1.EventStore/Digest", data=b"{}",
            headers={"Content-Type": "application/json", "Host": "attacker.example:8451"},
            method="POST")
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        body = json.loads(refused.exception.read())
        self.assertEqual((refused.exception.code, body["code"]), (403, "permission_denied"))
        self.assertIn("attacker.example", body["message"])
        status, _ = self.server.call("sixhearts.ledger.v1.EventStore/Digest", {})
        self.assertEqual(status, 200)  # as 127.0.0.1:PORT

    def test_a_streaming_rpc_stays_grpc(self):
        status, body = self.server.call("sixhearts.ledger.v1.EventStore/ReadLog", {})
        self.assertEqual((status, body["code"]), (501, "unimplemented"), body)
        self.assertIn("stays gRPC", body["message"])

    def test_the_digest_equals_the_grpc_answer(self):
        status, body = self.server.call("sixhearts.ledger.v1.EventStore/Digest", {})
        self.assertEqual((status, body["headPosition"]), (200, "3"), body)
        grpc = self.server.ledgerctl("--json", "digest")
        self.assertIn('"head_position":3', grpc.replace(" ", ""))


class ConnectWithAuthTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.writer, writer_hash = new_token()
        self.reader, reader_hash = new_token()
        config = os.path.join(self.dir.name, "auth.toml")
        with open(config, "w") as f:
            f.write(f'[[principals]]\nname = "erp-import"\nroles = ["writer"]\n{writer_hash}\n\n'
                    f'[[principals]]\nname = "collector"\nroles = ["reader"]\n{reader_hash}\n')
        self.server = Ledgerd(self.dir.name, "--auth-config", config)

    def tearDown(self):
        self.server.stop()
        self.dir.cleanup()

    def test_tokens_roles_and_actor_are_those_of_grpc(self):
        status, body = self.server.call("sixhearts.ledger.v1.Receivables/Aging", AGING)
        self.assertEqual((status, body["code"]), (401, "unauthenticated"), body)
        self.assertIn("no credentials", body["message"])
        status, body = self.server.call("sixhearts.ledger.v1.Receivables/Aging", AGING, "bad")
        self.assertEqual((status, body["code"]), (401, "unauthenticated"), body)
        status, body = self.server.call("sixhearts.ledger.v1.EventStore/Append",
                                        {"events": EVENTS}, self.reader)
        self.assertEqual((status, body["code"]), (403, "permission_denied"), body)
        self.assertIn('"collector"', body["message"])
        status, body = self.server.call("sixhearts.ledger.v1.EventStore/Append",
                                        {"events": EVENTS}, self.writer)
        self.assertEqual(status, 200, body)
        status, body = self.server.call("sixhearts.ledger.v1.Receivables/Aging", AGING,
                                        self.reader)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["totals"][0]["outstandingMinor"], "60000")
        # The actor of what was written over HTTP is the principal whose token it carried.
        status, body = self.server.call(
            "console/stream/sixhearts.ledger.v1.EventStore/ReadLog", {"limit": 3}, self.reader)
        self.assertEqual(status, 200, body)
        actors = [e["actor"] for page in body["messages"] for e in page["events"]]
        self.assertEqual(actors, ["erp-import"] * 3)
        grpc = self.server.ledgerctl("--json", "read", "--limit", "1", token=self.reader)
        self.assertEqual(json.loads(grpc.splitlines()[0])["actor"], "erp-import")


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class ConsoleWithTlsTest(unittest.TestCase):
    """With [tls] the console serves HTTPS with the server's certificate (here signed by a
    CA of the test's own, as a deployment's would be), forwards to the gRPC port over TLS,
    and answers plain HTTP with a 400 naming https."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        d = self.dir.name
        self.ca = os.path.join(d, "ca.crt")
        cert, key = os.path.join(d, "server.crt"), os.path.join(d, "server.key")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl("req", "-x509", *ec, "-subj", "/CN=Six Hearts test CA", "-days", "1",
                "-keyout", os.path.join(d, "ca.key"), "-out", self.ca)
        openssl("req", *ec, "-subj", "/CN=localhost", "-keyout", key,
                "-out", os.path.join(d, "server.csr"))
        with open(os.path.join(d, "ext"), "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        openssl("x509", "-req", "-in", os.path.join(d, "server.csr"), "-CA", self.ca,
                "-CAkey", os.path.join(d, "ca.key"), "-CAcreateserial", "-days", "1",
                "-extfile", os.path.join(d, "ext"), "-out", cert)
        self.reader, reader_hash = new_token()
        self.tls = f'[tls]\ncert_file = "{cert}"\nkey_file = "{key}"\n'
        self.principals = f'\n[[principals]]\nname = "collector"\nroles = ["reader"]\n{reader_hash}\n'
        config = os.path.join(d, "auth.toml")
        with open(config, "w") as f:
            f.write(self.tls + self.principals)
        self.server = Ledgerd(d, "--auth-config", config)
        self.server.context = ssl.create_default_context(cafile=self.ca)

    def tearDown(self):
        self.server.stop()
        self.dir.cleanup()

    def test_https_with_the_servers_certificate_and_plain_http_refused(self):
        self.assertTrue(self.server.http.startswith("https://127.0.0.1:"), self.server.text)
        with urllib.request.urlopen(self.server.http + "/", timeout=30,
                                    context=self.server.context) as response:
            self.assertEqual(response.status, 200)
            self.assertIn("<title>Six Hearts ledger console</title>", response.read().decode())
        # A Connect call goes on to the gRPC port over TLS, with the caller's token.
        status, body = self.server.call("sixhearts.ledger.v1.EventStore/Digest", {}, self.reader)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["headPosition"], "0")
        self.assertTrue(body["checkpoint"].startswith("sixhearts-ledger\n0\n"), body)
        status, body = self.server.call("sixhearts.ledger.v1.Receivables/Aging",
                                        {"asOf": {"year": 2026, "month": 2, "day": 30}},
                                        self.reader)
        self.assertEqual((status, body["message"]), (400, "as_of: not a valid date: 2026-02-30"))
        status, body = self.server.call("sixhearts.ledger.v1.EventStore/Digest", {})
        self.assertEqual((status, body["code"]), (401, "unauthenticated"), body)
        # A client that does not trust the CA does not get through the handshake.
        with self.assertRaises(urllib.error.URLError) as refused:
            urllib.request.urlopen(self.server.http + "/", timeout=30,
                                   context=ssl.create_default_context())
        self.assertIsInstance(refused.exception.reason, ssl.SSLCertVerificationError)
        # The HTTP listener behind the front, a plain loopback port, answers no one else.
        inner = re.search(r"relayed to its HTTP listener on (127\.0\.0\.1:\d+)", self.server.text)
        self.assertIsNotNone(inner, self.server.text)
        with self.assertRaises(urllib.error.HTTPError) as direct:
            urllib.request.urlopen(f"http://{inner.group(1)}/", timeout=30)
        self.assertEqual(direct.exception.code, 403)
        self.assertEqual(json.loads(direct.exception.read())["message"],
                         "this is the console's internal port; open the console over https")
        # Plain HTTP on the HTTPS port: 400 naming https, no page, no call.
        port = self.server.http.rsplit(":", 1)[1]
        with self.assertRaises(urllib.error.HTTPError) as plain:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30)
        self.assertEqual(plain.exception.code, 400)
        self.assertEqual(plain.exception.read().decode(),
                         f"This is the ledger console's HTTPS port: open https://, not http://, "
                         f"on port {port}.\n")

    def test_a_server_requiring_client_certificates_starts_without_the_console(self):
        # The console has no client certificate to call the gRPC port with.
        d = self.dir.name
        config = os.path.join(d, "require.toml")
        with open(config, "w") as f:
            f.write(self.tls + f'client_ca_file = "{self.ca}"\nclient_certificate = "require"\n'
                    + self.principals)
        with open(os.path.join(d, "require.log"), "w+") as log:
            server = subprocess.Popen(
                [LEDGERD, "--data-dir", os.path.join(d, "require"), "--listen", "127.0.0.1:0",
                 "--metrics-listen", "", "--console-listen", "127.0.0.1:0", "--auth-config",
                 config], stdout=log, stderr=subprocess.STDOUT)
            deadline = time.time() + 30
            text = ""
            while time.time() < deadline and "serving on" not in text:
                time.sleep(0.05)
                log.seek(0)
                text = log.read()
            server.send_signal(signal.SIGTERM)
            self.assertEqual(server.wait(timeout=30), 0, text)
        self.assertIn("serving on", text)
        self.assertIn('console: off: tls.client_certificate = "require" and the console has no '
                      "client certificate", text)
        self.assertNotIn("console on", text)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
