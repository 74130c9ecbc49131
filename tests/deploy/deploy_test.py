#!/usr/bin/env python3
"""Checks deploy/: every manifest parses, every shipped ledgerd.toml is accepted by the real
ledgerd, and the ports, probes, paths and users agree with each other and with the
server's defaults (read from `ledgerd --print-config`). Docker is not run here.

Usage: deploy_test.py LEDGERD SOURCE_DIR
"""

import configparser
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import unittest

import yaml

LEDGERD, SOURCE = sys.argv[1:3]
DEPLOY = os.path.join(SOURCE, "deploy")


def port(address):
    return int(address.rsplit(":", 1)[1])


def print_config(*args):
    result = subprocess.run([LEDGERD, *args, "--print-config"], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    return tomllib.loads(result.stdout)


DEFAULTS = print_config()
GRPC_PORT = port(DEFAULTS["server"]["listen"])
METRICS_PORT = port(DEFAULTS["metrics"]["listen"])


def load_yaml(path):
    with open(path) as f:
        return [doc for doc in yaml.safe_load_all(f) if doc is not None]


def kubernetes(kind):
    docs = []
    for path in sorted(glob.glob(os.path.join(DEPLOY, "kubernetes", "*.yaml"))):
        docs += [d for d in load_yaml(path) if d.get("kind") == kind]
    return docs


class DeployTest(unittest.TestCase):
    def test_defaults_are_the_documented_ports(self):
        self.assertEqual(GRPC_PORT, 50051)
        self.assertEqual(METRICS_PORT, 9464)

    def test_every_manifest_parses(self):
        paths = [p for p in glob.glob(os.path.join(DEPLOY, "**", "*"), recursive=True)
                 if p.endswith((".yaml", ".yml", ".toml"))]
        self.assertGreaterEqual(len(paths), 8, paths)
        for path in paths:
            with self.subTest(path=path):
                if path.endswith(".toml"):
                    with open(path, "rb") as f:
                        tomllib.load(f)
                else:
                    self.assertTrue(load_yaml(path), path)

    def shipped_configs(self):
        """Every ledgerd.toml deploy/ ships: files, and the one inside the ConfigMap."""
        configs = {}
        for path in glob.glob(os.path.join(DEPLOY, "*", "ledgerd.toml")):
            with open(path) as f:
                configs[os.path.relpath(path, DEPLOY)] = f.read()
        (config_map,) = kubernetes("ConfigMap")
        configs["kubernetes/configmap.yaml"] = config_map["data"]["ledgerd.toml"]
        return configs

    def test_ledgerd_accepts_every_shipped_config_and_keeps_the_default_ports(self):
        configs = self.shipped_configs()
        self.assertEqual(sorted(configs), ["docker/ledgerd.toml", "kubernetes/configmap.yaml",
                                           "systemd/ledgerd.toml"])
        for name, text in configs.items():
            with self.subTest(config=name):
                path = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                    "deploy_test_%d.toml" % os.getpid())
                with open(path, "w") as f:
                    f.write(text)
                try:
                    effective = print_config("--config", path)
                finally:
                    os.remove(path)
                self.assertEqual(port(effective["server"]["listen"]), GRPC_PORT)
                self.assertEqual(port(effective["metrics"]["listen"]), METRICS_PORT)
                self.assertEqual(effective["server"]["data_dir"], "/var/lib/ledgerd")
                # The keystore's default (DATA_DIR.keys) is a sibling in /var/lib, which
                # neither the image's user nor the systemd sandbox may create.
                self.assertEqual(effective["server"]["keys_dir"], "/var/lib/ledgerd-keys")
                # ledgerd refuses to listen beyond loopback without an auth configuration
                # (README "Authentication and roles"); --print-config does not start it.
                host = effective["server"]["listen"].rsplit(":", 1)[0]
                if host not in ("127.0.0.1", "localhost", "[::1]"):
                    self.assertTrue(effective["server"]["auth_config"], name)

    def test_statefulset_probes_ports_volumes_and_resources(self):
        (statefulset,) = kubernetes("StatefulSet")
        self.assertEqual(statefulset["spec"]["replicas"], 1)  # one writer per store
        pod = statefulset["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        self.assertEqual(ports, {"grpc": GRPC_PORT, "metrics": METRICS_PORT})
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            with self.subTest(probe=probe):
                self.assertEqual(container[probe]["httpGet"],
                                 {"path": "/healthz", "port": "metrics"})
        annotations = statefulset["spec"]["template"]["metadata"]["annotations"]
        self.assertEqual(annotations["prometheus.io/port"], str(METRICS_PORT))
        self.assertEqual(annotations["prometheus.io/path"], "/metrics")
        for part in ("requests", "limits"):
            self.assertEqual(set(container["resources"][part]), {"cpu", "memory"})
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        self.assertEqual(mounts["data"], "/var/lib/ledgerd")
        self.assertEqual(mounts["keys"], "/var/lib/ledgerd-keys")
        self.assertEqual(mounts["config"], "/etc/ledgerd")
        # Listening beyond loopback needs an auth configuration: the ConfigMap names one
        # inside the mounted Secret.
        self.assertEqual(mounts["auth"], "/etc/ledgerd/auth")
        volumes = {v["name"]: v for v in pod["volumes"]}
        self.assertEqual(volumes["auth"]["secret"]["secretName"], "ledgerd-auth")
        (configmap,) = kubernetes("ConfigMap")
        config = tomllib.loads(configmap["data"]["ledgerd.toml"])
        self.assertTrue(config["server"]["auth_config"].startswith(mounts["auth"] + "/"))
        self.assertEqual(container["args"], ["--config", "/etc/ledgerd/ledgerd.toml"])
        claims = [c["metadata"]["name"] for c in statefulset["spec"]["volumeClaimTemplates"]]
        self.assertEqual(claims, ["data", "keys"])
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertEqual(pod["securityContext"]["runAsUser"], 10001)
        self.assertFalse(container["securityContext"]["allowPrivilegeEscalation"])
        services = {s["metadata"]["name"]: s for s in kubernetes("Service")}
        self.assertIn(statefulset["spec"]["serviceName"], services)
        for service in services.values():
            with self.subTest(service=service["metadata"]["name"]):
                self.assertEqual(service["spec"]["selector"],
                                 statefulset["spec"]["selector"]["matchLabels"])
                for p in service["spec"]["ports"]:
                    self.assertIn(p["targetPort"], ports)
                    self.assertEqual(p["port"], ports[p["targetPort"]])

    def test_prometheus_scrapes_the_metrics_port(self):
        (config,) = load_yaml(os.path.join(DEPLOY, "prometheus", "prometheus.yml"))
        jobs = {job["job_name"]: job for job in config["scrape_configs"]}
        (static,) = jobs["ledgerd"]["static_configs"]
        self.assertEqual([port(t) for t in static["targets"]], [METRICS_PORT])
        self.assertEqual(jobs["ledgerd"]["metrics_path"], "/metrics")
        self.assertIn("ledgerd-kubernetes", jobs)
        for rule_file in config["rule_files"]:
            (rules,) = load_yaml(os.path.join(DEPLOY, "prometheus", rule_file))
            self.assertTrue(rules["groups"][0]["rules"])

    def test_systemd_unit_is_hardened_and_uses_the_shipped_config(self):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str
        unit.read(os.path.join(DEPLOY, "systemd", "ledgerd.service"))
        service = unit["Service"]
        self.assertEqual(service["ExecStart"],
                         "/usr/local/bin/ledgerd --config /etc/ledgerd/ledgerd.toml")
        with open(os.path.join(DEPLOY, "systemd", "ledgerd.toml"), "rb") as f:
            config = tomllib.load(f)
        # systemd lets the unit write only its state directories: the log and the keystore.
        self.assertEqual(["/var/lib/" + d for d in service["StateDirectory"].split()],
                         [config["server"]["data_dir"], config["server"]["keys_dir"]])
        for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                           "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
                           "DynamicUser": "yes", "RestrictSUIDSGID": "yes",
                           "MemoryDenyWriteExecute": "yes", "CapabilityBoundingSet": "",
                           "KillSignal": "SIGTERM", "RestartPreventExitStatus": "2"}.items():
            with self.subTest(key=key):
                self.assertEqual(service[key], value)

    @unittest.skipUnless(shutil.which("systemd-analyze"), "no systemd-analyze")
    def test_systemd_accepts_the_unit_and_rates_its_exposure_low(self):
        # systemd's own checks, offline: `verify` parses the unit and checks the command it
        # starts (the unit's ExecStart, pointed at this build's ledgerd); `security` scores
        # the sandboxing from 0 (locked down) to 10 and fails above the threshold.
        with open(os.path.join(DEPLOY, "systemd", "ledgerd.service")) as f:
            text = f.read().replace("/usr/local/bin/ledgerd", os.path.abspath(LEDGERD))
        with tempfile.TemporaryDirectory() as tmp:
            unit = os.path.join(tmp, "ledgerd.service")
            with open(unit, "w") as f:
                f.write(text)
            verify = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True,
                                    text=True, timeout=60)
            self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
            self.assertEqual(verify.stderr.strip(), "")
            security = subprocess.run(
                ["systemd-analyze", "security", "--offline=true", "--threshold=20", unit],
                capture_output=True, text=True, timeout=60)
            self.assertEqual(security.returncode, 0, security.stdout + security.stderr)
            self.assertIn("Overall exposure level for ledgerd.service: 1.", security.stdout)

    def test_dockerfile_is_multi_stage_debian_12_and_runs_as_the_pods_user(self):
        with open(os.path.join(DEPLOY, "docker", "Dockerfile")) as f:
            lines = [line.strip() for line in f]
        stages = [line.split() for line in lines if line.startswith("FROM ")]
        self.assertEqual([s[1] for s in stages], ["debian:12", "debian:12"])
        self.assertIn("RUN ./scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*", lines)
        runtime = lines[lines.index("FROM debian:12 AS runtime"):]
        self.assertIn("USER 10001:10001", runtime)
        self.assertIn('VOLUME ["/var/lib/ledgerd", "/var/lib/ledgerd-keys"]', runtime)
        self.assertIn("EXPOSE %d %d" % (GRPC_PORT, METRICS_PORT), runtime)
        self.assertIn('CMD ["--config", "/etc/ledgerd/ledgerd.toml"]', runtime)
        self.assertFalse(any("install-deps" in line for line in runtime))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
