#!/usr/bin/env python3
"""Runs clients/python/ledger_example.py against a real ledgerd on a free port.

Usage: ledger_example_test.py LEDGERD STUBS_DIR EXAMPLE_SCRIPT
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

LEDGERD, STUBS, EXAMPLE = sys.argv[1:4]


class LedgerExampleTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.log = open(os.path.join(self.dir.name, "ledgerd.log"), "w+")
        # Port 0 for both gRPC and metrics: the log says which ports were bound.
        self.server = subprocess.Popen(
            [LEDGERD, "--data-dir", os.path.join(self.dir.name, "data"), "--listen",
             "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--log-level", "debug"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        self.address = None
        while time.time() < deadline and self.address is None:
            self.log.seek(0)
            match = re.search(r"serving on (127\.0\.0\.1:\d+)", self.log.read())
            if match:
                self.address = match.group(1)
            else:
                time.sleep(0.05)
        self.assertIsNotNone(self.address, "ledgerd did not start")

    def tearDown(self):
        self.server.send_signal(signal.SIGTERM)
        self.assertEqual(self.server.wait(timeout=30), 0)
        self.log.close()
        self.dir.cleanup()

    def run_example(self, *extra):
        result = subprocess.run(
            [sys.executable, EXAMPLE, "--server", self.address, "--stubs", STUBS, *extra],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result.stdout

    def test_appends_reads_aging_and_follows_a_subscription(self):
        out = self.run_example("--request-id", "py-1")
        lines = out.splitlines()
        self.assertEqual(lines[0], "appended positions=1,2,3 duplicate=False")
        # 1,000.00 invoiced due 2026-02-09, 400.00 paid: 600.00 is 50 days late on 03-31.
        self.assertEqual(
            lines[1],
            "aging as_of=2026-03-31 client=py-example currency=CNY outstanding=600.00 "
            "[31-60=600.00]")
        self.assertEqual(lines[2:], [
            "event position=1 stream=client-py-example version=1 type=client_registered",
            "event position=2 stream=client-py-example version=2 type=invoice_issued",
            "event position=3 stream=client-py-example version=3 type=payment_received",
            "followed subscription: saw all 3 events",
        ])
        # The second run is an idempotent retry: same positions, nothing written.
        again = self.run_example("--as-of", "2026-02-15").splitlines()
        self.assertEqual(again[0], "appended positions=1,2,3 duplicate=True")
        self.assertEqual(
            again[1],
            "aging as_of=2026-02-15 client=py-example currency=CNY outstanding=1,000.00 "
            "[1-30=1,000.00]")
        self.log.seek(0)
        self.assertIn("request_id=py-1", self.log.read())

    def test_a_read_replica_serves_reports_and_subscriptions_and_refuses_appends(self):
        self.run_example()  # three events on the primary
        replica_log = open(os.path.join(self.dir.name, "replica.log"), "w+")
        replica = subprocess.Popen(
            [LEDGERD, "--replica-of", os.path.join(self.dir.name, "data"), "--data-dir",
             os.path.join(self.dir.name, "replica"), "--listen", "127.0.0.1:0",
             "--metrics-listen", "", "--replica-catch-up-interval-ms", "20"],
            stdout=replica_log, stderr=subprocess.STDOUT)
        try:
            address = None
            deadline = time.time() + 30
            while time.time() < deadline and address is None:
                replica_log.seek(0)
                match = re.search(r"serving on (127\.0\.0\.1:\d+)", replica_log.read())
                address = match.group(1) if match else time.sleep(0.05)
            self.assertIsNotNone(address, "the replica did not start")
            refused = subprocess.run(
                [sys.executable, EXAMPLE, "--server", address, "--stubs", STUBS],
                capture_output=True, text=True, timeout=60)
            self.assertEqual(refused.returncode, 1, refused.stdout + refused.stderr)
            self.assertEqual(
                refused.stdout,
                "append failed: FAILED_PRECONDITION: this ledger is a read replica of {}; "
                "append to the primary\n".format(os.path.join(self.dir.name, "data")))
            result = subprocess.run(
                [sys.executable, EXAMPLE, "--server", address, "--stubs", STUBS, "--read-only"],
                capture_output=True, text=True, timeout=60)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            lines = result.stdout.splitlines()
            self.assertEqual(lines[0], "head position=3")
            self.assertEqual(
                lines[1],
                "aging as_of=2026-03-31 client=py-example currency=CNY outstanding=600.00 "
                "[31-60=600.00]")
            self.assertEqual(lines[-1], "followed subscription: saw all 3 events")
        finally:
            replica.send_signal(signal.SIGTERM)
            self.assertEqual(replica.wait(timeout=30), 0)
            replica_log.close()

    def test_an_error_names_the_field(self):
        # No server-side state needed: a bad --client gives an invalid stream name.
        result = subprocess.run(
            [sys.executable, EXAMPLE, "--server", self.address, "--stubs", STUBS, "--client",
             "bad client"], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertTrue(result.stdout.startswith("append failed: INVALID_ARGUMENT: events[0]."),
                        result.stdout)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
