"""real-controllers: runs the REAL Cluster API managers for the provider Deployments found on the lab's API servers.

The lab has no kubelet, no Service network and no cert-manager. This process plays those three for the provider
Deployments `clusterctl init` creates, and nothing else:
  * kubelet: for each provider Deployment below found on a lab API server (bootstrap, workload, the pool), it starts the
    provider's real manager (built by `lab.py build` from the pinned Go modules) as a local process watching THAT API
    server, and stops it when the Deployment is gone (`clusterctl delete`, a deleted namespace, `lab.py down`). After
    `clusterctl move`, the workload cluster's own managers take over, as they do for real;
  * Service + cert-manager: it issues each manager a serving certificate (lab CA, 127.0.0.1 only), and rewrites the
    provider's admission webhooks and CRD conversion webhooks (released with a `service` clientConfig and
    cert-manager's CA injection annotation) to `url: https://127.0.0.1:<port>/...` with the lab CA as caBundle, so the
    API server calls the real webhooks: v1beta1 objects are converted and invalid objects refused by them;
  * Deployment status: the Deployment is marked available once its manager answers its readiness probe (before, the
    webhooks would refuse every write, as with a Deployment not yet ready).
Every listener binds 127.0.0.1 (the webhook servers through the patched controller-runtime: tests/lab/go).

Run (started by `lab.py up` when LAB_CONTROLLERS=real): python real_controllers.py --state-dir <lab state dir>
"""
from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import logging
import os
import signal
import socket
import ssl
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import lab  # noqa: E402
from capi_sim import Kube, now  # noqa: E402

LOG = logging.getLogger("real-controllers")

# Deployment (namespace, name) -> (binary in the lab cache, name prefix of its webhooks/Service, webhook port fixed?)
MANAGERS = {
    ("capi-system", "capi-controller-manager"): ("capi-manager", "capi"),
    ("capi-kubeadm-bootstrap-system", "capi-kubeadm-bootstrap-controller-manager"):
        ("kubeadm-bootstrap-manager", "capi-kubeadm-bootstrap"),
    ("capi-kubeadm-control-plane-system", "capi-kubeadm-control-plane-controller-manager"):
        ("kubeadm-control-plane-manager", "capi-kubeadm-control-plane"),
    ("capv-system", "capv-controller-manager"): ("capv-manager", "capv"),
    ("etcdadm-bootstrap-provider-system", "etcdadm-bootstrap-provider-controller-manager"):
        ("etcdadm-bootstrap-manager", "etcdadm-bootstrap-provider"),
}
# etcdadm-bootstrap-provider has no webhook-port or health flag: its webhook server listens on 9443 of the host
# LAB_WEBHOOK_HOST gives it (a 127.x address of its own per instance), its certificates in $TMPDIR.
FIXED_PORT = {"etcdadm-bootstrap-manager": 9443}
WIRE_EVERY = 20.0
# Cluster API's ReconcilerRateLimiting feature gate (beta, on by default since v1.13) holds every object to one reconcile
# a second, a guard for real API servers and real VMs that takes minutes. The lab's machines boot in milliseconds,
# so a create is a chain of one-second waits: the lab turns the gate off (the reconcilers themselves are unchanged).
# (CAPV's flag of that name reaches Cluster API's builder through a lab patch: tests/lab/go.)
RATE_LIMITING_OFF = ["--feature-gates=ReconcilerRateLimiting=false"]
# Cluster API's cluster cache retries a failed connection to a cluster after 30s. The first attempt fails by design:
# the cluster's kubeconfig and API server come with its first control-plane machine (minutes on real VMs, a second
# here). A lab patch (tests/lab/go) reads the interval from this variable.
CLUSTERCACHE_RETRY = "2s"


def _binary(name: str) -> Path:
    targets = lab._targets()
    for target in ("capi", "etcdadm"):
        if name in targets[target][1]:
            return lab._target_dir(target, targets[target][0]) / name
    raise KeyError(name)


def _serving_cert(pki: Path, host: str, out: Path) -> None:
    """tls.crt/tls.key for `host`, issued by the lab CA (what cert-manager's Certificate does for real)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    import ipaddress
    ca_key = serialization.load_pem_private_key((pki / "ca.key").read_bytes(), None)
    ca = x509.load_pem_x509_certificate((pki / "ca.crt").read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    t = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(t - datetime.timedelta(minutes=5)).not_valid_after(t + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)
    (out / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(out / "tls.key", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


class Runner:
    def __init__(self, sd: Path):
        self.sd = sd
        self.pki = sd / "pki"
        self.ca_bundle = base64.b64encode((self.pki / "ca.crt").read_bytes()).decode()
        self.kubes: dict[str, Kube] = {}
        self.kubeconfigs: dict[str, str] = {}
        self.wired: dict[tuple, float] = {}

    def servers(self) -> dict[str, Kube]:
        st = json.loads((self.sd / "state.json").read_text())
        entries = [(c, st[c]) for c in ("bootstrap", "workload") if c in st]
        entries += [(p["name"], p) for p in st.get("pool") or []]
        for name, e in entries:
            if name not in self.kubes:
                self.kubes[name] = Kube(name, e["server"], self.pki)
                self.kubeconfigs[name] = e["kubeconfig"]
        return self.kubes

    # --- processes ---------------------------------------------------------------------------
    def _proc_name(self, server: str, binary: str) -> str:
        return f"ctrl-{server}-{binary}"

    def _info(self, server: str, binary: str) -> dict | None:
        f = self.sd / "controllers" / f"{self._proc_name(server, binary)}.json"
        pidf = self.sd / "pids" / f"{self._proc_name(server, binary)}.pid"
        if not f.exists() or not pidf.exists():
            return None
        info = json.loads(f.read_text())
        pid = json.loads(pidf.read_text())
        if not lab._pid_alive(pid["pid"], pid.get("match")):
            return None
        return info

    def _host(self, server: str, binary: str) -> str:
        if binary not in FIXED_PORT:
            return "127.0.0.1"
        # an address of its own per instance: per lab (its state dir) and per server (bootstrap, workload, workload-<i>)
        index = {"bootstrap": 1, "workload": 2}.get(server) or int(server.rsplit("-", 1)[1]) + 1
        lab_octet = int(hashlib.sha256(str(self.sd.resolve()).encode()).hexdigest(), 16) % 250 + 1
        return f"127.1.{lab_octet}.{index}"

    def start(self, server: str, binary: str) -> dict:
        name = self._proc_name(server, binary)
        d = self.sd / "controllers" / name
        host = self._host(server, binary)
        info = {"host": host, "webhook_port": FIXED_PORT.get(binary) or lab.free_port(), "binary": binary}
        env = dict(os.environ, LAB_WEBHOOK_HOST=host)
        kc = self.kubeconfigs[server]
        if binary == "etcdadm-bootstrap-manager":
            env["TMPDIR"] = str(d / "tmp")
            certs = d / "tmp" / "k8s-webhook-server" / "serving-certs"
            info["diagnostics_port"] = lab.free_port()
            argv = [str(_binary(binary)), f"--kubeconfig={kc}",
                    f"--diagnostics-address={host}:{info['diagnostics_port']}", "--insecure-diagnostics"]
        else:
            certs = d / "certs"
            info["health_port"], info["diagnostics_port"] = lab.free_port(), lab.free_port()
            argv = [str(_binary(binary)), f"--kubeconfig={kc}", "--leader-elect=false",
                    f"--health-addr=127.0.0.1:{info['health_port']}",
                    f"--diagnostics-address=127.0.0.1:{info['diagnostics_port']}", "--insecure-diagnostics",
                    f"--webhook-port={info['webhook_port']}", f"--webhook-cert-dir={certs}"]
            if binary == "capv-manager":
                creds = d / "credentials.yaml"  # must exist (watched); identities come from each cluster's Secret
                creds.parent.mkdir(parents=True, exist_ok=True)
                creds.touch(mode=0o600)
                argv.append(f"--credentials-file={creds}")
                env["POD_NAMESPACE"] = "capv-system"
            argv += RATE_LIMITING_OFF
            env["LAB_CLUSTERCACHE_RETRY_INTERVAL"] = CLUSTERCACHE_RETRY
        _serving_cert(self.pki, host, certs)
        (self.sd / "controllers").mkdir(exist_ok=True)
        (self.sd / "controllers" / f"{name}.json").write_text(json.dumps(info))
        lab._start(self.sd, name, argv, env=env)
        LOG.info("%s: started %s (webhooks https://%s:%s)", server, binary, host, info["webhook_port"])
        return info

    def stop(self, server: str, binary: str) -> None:
        name = self._proc_name(server, binary)
        pidf = self.sd / "pids" / f"{name}.pid"
        if pidf.exists():
            pid = json.loads(pidf.read_text())
            if lab._pid_alive(pid["pid"], pid.get("match")):
                os.killpg(pid["pid"], signal.SIGTERM)
            pidf.unlink(missing_ok=True)
            LOG.info("%s: stopped %s (its Deployment is gone)", server, binary)
        (self.sd / "controllers" / f"{name}.json").unlink(missing_ok=True)

    def ready(self, info: dict) -> bool:
        try:
            if "health_port" in info:
                return lab._http_ok(f"http://127.0.0.1:{info['health_port']}/readyz")
            ctx = ssl.create_default_context(cafile=str(self.pki / "ca.crt"))
            with socket.create_connection((info["host"], info["webhook_port"]), timeout=2) as s:
                with ctx.wrap_socket(s, server_hostname=info["host"]):
                    return True
        except Exception:  # noqa: BLE001
            return False

    # --- Service + cert-manager: the webhooks' clientConfig -----------------------------------
    def wire_webhooks(self, k: Kube, ns: str, prefix: str, info: dict) -> None:
        service = f"{prefix}-webhook-service"
        base = f"https://{info['host']}:{info['webhook_port']}"

        def rewrite(cc: dict, owned: bool) -> bool:
            """Point cc at this manager: a released `service` clientConfig, or (owned) a url of an earlier run."""
            svc = cc.get("service")
            if svc and svc.get("name") == service and svc.get("namespace") == ns:
                path = svc.get("path") or "/"
            elif owned and cc.get("url", "").startswith("https://") and not cc["url"].startswith(base + "/"):
                path = "/" + cc["url"].split("/", 3)[3]
            else:
                return False
            cc.clear()
            cc.update({"url": base + path, "caBundle": self.ca_bundle})
            return True

        for kind in ("mutatingwebhookconfigurations", "validatingwebhookconfigurations"):
            for w in k.list(f"/apis/admissionregistration.k8s.io/v1/{kind}"):
                owned = w["metadata"]["name"] in (f"{prefix}-mutating-webhook-configuration",
                                                  f"{prefix}-validating-webhook-configuration")
                if [rewrite(h["clientConfig"], owned) for h in w.get("webhooks") or []].count(True):
                    k.req("PUT", f"/apis/admissionregistration.k8s.io/v1/{kind}/{w['metadata']['name']}", json=w)
                    LOG.info("%s: %s %s -> %s", k.name, kind[:-1], w["metadata"]["name"], base)
        for crd in k.list("/apis/apiextensions.k8s.io/v1/customresourcedefinitions"):
            conv = crd["spec"].get("conversion") or {}
            cc = (conv.get("webhook") or {}).get("clientConfig")
            owned = (crd["metadata"].get("annotations") or {}).get("cert-manager.io/inject-ca-from") == \
                f"{ns}/{prefix}-serving-cert"
            if conv.get("strategy") == "Webhook" and cc and rewrite(cc, owned):
                k.req("PUT", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}",
                      json=crd)
                LOG.info("%s: conversion of %s -> %s", k.name, crd["metadata"]["name"], base)

    def mark_available(self, k: Kube, d: dict) -> None:
        st = d.get("status") or {}
        r = d["spec"].get("replicas", 1)
        if st.get("availableReplicas") == r and st.get("observedGeneration") == d["metadata"]["generation"]:
            return
        k.merge(f"/apis/apps/v1/namespaces/{d['metadata']['namespace']}/deployments/{d['metadata']['name']}/status",
                {"status": {"observedGeneration": d["metadata"]["generation"], "replicas": r, "readyReplicas": r,
                            "availableReplicas": r, "updatedReplicas": r, "conditions": [
                                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                                 "message": "the real manager runs as a lab process (real-controllers)",
                                 "lastUpdateTime": now(), "lastTransitionTime": now()},
                                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                                 "message": "ReplicaSet has successfully progressed", "lastUpdateTime": now(),
                                 "lastTransitionTime": now()}]}})
        LOG.info("%s: deployment %s/%s available", k.name, d["metadata"]["namespace"], d["metadata"]["name"])

    def reconcile(self) -> None:
        for server, k in self.servers().items():
            for (ns, dep), (binary, prefix) in MANAGERS.items():
                try:
                    d = k.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{dep}")
                    info = self._info(server, binary)
                    if d is None or d["metadata"].get("deletionTimestamp"):
                        if info is not None or (self.sd / "pids" / f"{self._proc_name(server, binary)}.pid").exists():
                            self.stop(server, binary)
                        continue
                    if info is None:
                        info = self.start(server, binary)
                    if self.ready(info):
                        # wired once per manager start, then checked again every WIRE_EVERY seconds (a re-applied
                        # component would bring back the released `service` clientConfig): listing the CRDs is costly
                        key = (server, binary, info["webhook_port"], info["host"])
                        if time.monotonic() - self.wired.get(key, -WIRE_EVERY) >= WIRE_EVERY:
                            self.wire_webhooks(k, ns, prefix, info)
                            self.wired[key] = time.monotonic()
                        self.mark_available(k, d)
                except Exception as e:  # noqa: BLE001 - API servers restart, CRDs appear later: next pass
                    LOG.warning("%s: %s/%s: %s", server, ns, dep, e)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--state-dir", type=Path, default=lab.state_dir())
    ap.add_argument("--interval", type=float, default=1.0)
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s real-controllers %(levelname)s %(message)s")
    r = Runner(a.state_dir)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    LOG.info("started")
    while not stop:
        r.reconcile()
        time.sleep(a.interval)
    LOG.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
