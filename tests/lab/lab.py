"""eksa.anywhere test lab driver.

Subcommands:
  build   build (once, cached by version) etcd, kube-apiserver, kube-controller-manager, kubectl,
          the lab vCenter simulator, govc, clusterctl and kind
  up      build if needed, then start etcd, two API servers (bootstrap, workload) with a
          kube-controller-manager each, the vCenter simulator (seeded from inventory.yaml), generate
          the lab Bundles manifest and clusterctl repository, and start capi-sim
  grow N  make sure N extra workload API servers (workload-2 ... workload-<N+1>) run in a running lab (the pool
          capi-sim gives workload clusters of a management cluster from, one each; LAB_WORKLOAD_API_SERVERS=N
          has `up` start them at once)
  down    stop everything started by `up` and remove the state dir
  status  show the lab processes and endpoints (exit 1 when the lab is not fully up)
  env     print shell `export` lines (LAB_BOOTSTRAP_KUBECONFIG, ... LAB_BIN)

Cache dir:  ${LAB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/eksa-anywhere-lab}
State dir:  ${LAB_STATE_DIR:-${TMPDIR:-/tmp}/eksa-anywhere-lab-state}
Everything binds 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

LAB_DIR = Path(__file__).resolve().parent
REPO_ROOT = LAB_DIR.parent.parent
sys.path.insert(0, str(LAB_DIR))

# --- pinned versions -------------------------------------------------------------------------
K8S_VERSION = "v1.34.4"
ETCD_VERSION = "v3.6.16"
GOVMOMI_VERSION = "v0.46.3"  # vcsim (our main in go/vcsim) and govc
CLUSTERCTL_VERSION = "v1.13.5"
KIND_VERSION = "v0.33.0"
CAPI_VERSION = "v1.13.5"  # the real Cluster API managers (core, kubeadm bootstrap, kubeadm control plane)
CAPV_VERSION = "v1.16.1"
ETCDADM_BOOTSTRAP_VERSION = "v1.0.19"

VSPHERE_USER = "administrator@vsphere.local"
# the cloud provider's separate user (EKS Anywhere's EKSA_VSPHERE_CP_USERNAME/PASSWORD)
VSPHERE_CP_USER = "cloud-provider@vsphere.local"
# The passwords are generated at each `up` (new_password), kept only in the 0600 state.json/env.sh, and handed to
# the simulator in its environment (never on its command line, which any local user can read).

GO = os.environ.get("LAB_GO", shutil.which("go") or "/usr/local/go/bin/go")


class LabError(Exception):
    pass


def log(msg: str) -> None:
    print(f"lab: {msg}", file=sys.stderr, flush=True)


def new_password() -> str:
    """A random password for one lab run (a leak test searching output and files for it then means something)."""
    return "Lab-" + secrets.token_urlsafe(18)


def cache_dir() -> Path:
    if os.environ.get("LAB_CACHE_DIR"):
        return Path(os.environ["LAB_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "eksa-anywhere-lab"


def state_dir() -> Path:
    if os.environ.get("LAB_STATE_DIR"):
        return Path(os.environ["LAB_STATE_DIR"])
    return Path(os.environ.get("TMPDIR") or "/tmp") / "eksa-anywhere-lab-state"


def shared_dir() -> Path:
    return Path(os.environ.get("EKSA_SHARED_DIR") or (REPO_ROOT.parent / "shared")).resolve()


def bin_dir() -> Path:
    return cache_dir() / "bin"


# --- build -------------------------------------------------------------------------------------

def _hash_files(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        for f in sorted(p.rglob("*")) if p.is_dir() else [p]:
            if f.is_file():
                h.update(f.name.encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:10]


def _k8s_ldflags(version: str) -> str:
    major, minor = version.lstrip("v").split(".")[:2]
    flags = ["-s", "-w"]
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [
            f"-X {pkg}.gitVersion={version}",
            f"-X {pkg}.gitMajor={major}",
            f"-X {pkg}.gitMinor={minor}",
            f"-X {pkg}.gitTreeState=clean",
            f"-X {pkg}.buildDate=1970-01-01T00:00:00Z",
        ]
    return " ".join(flags)


def _go_env() -> dict:
    env = dict(os.environ)
    env.setdefault("GOFLAGS", "-buildvcs=false")
    env["CGO_ENABLED"] = env.get("CGO_ENABLED", "0")
    if os.environ.get("LAB_GOTOOLCHAIN"):
        env["GOTOOLCHAIN"] = os.environ["LAB_GOTOOLCHAIN"]
    return env


_MOD_ERR = re.compile(r"([A-Za-z0-9.\-]+\.[A-Za-z]{2,}(?:/[^\s@:]+)*)@(v[^\s:]+): (.+)")


def _explain_go_failure(what: str, out: str) -> LabError:
    """Turn go command output into an error that names the module that could not be fetched."""
    lines = out.strip().splitlines()
    for line in lines:
        m = _MOD_ERR.search(line)
        if m and any(k in line for k in ("reading", "download", "verifying", "unrecognized import", "not found",
                                          "dial tcp", "lookup", "proxyconnect", "Forbidden", "invalid version",
                                          "GOTOOLCHAIN", "toolchain", "i/o timeout", "connection refused")):
            return LabError(
                f"{what}: cannot fetch Go module {m.group(1)}@{m.group(2)}: {m.group(3)}\n"
                + "\n".join(lines[-15:]))
    if "toolchain" in out:
        return LabError(f"{what}: Go toolchain problem (set LAB_GOTOOLCHAIN, e.g. go1.27.3):\n" + "\n".join(lines[-15:]))
    return LabError(f"{what} failed:\n" + "\n".join(lines[-25:]))


def _run_go(args: list[str], cwd: Path, what: str) -> float:
    """Run one go command; say every minute that it is still running (a cold Kubernetes build takes ~10 min)."""
    t0 = time.monotonic()
    if os.environ.get("LAB_VERBOSE") == "1":
        log(f"{what}: go {' '.join(args)}")
    with subprocess.Popen([GO, *args], cwd=cwd, env=_go_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as p:
        chunks: list[str] = []
        reader = threading.Thread(target=lambda: chunks.append(p.stdout.read()), daemon=True)
        reader.start()
        while True:
            try:
                p.wait(timeout=HEARTBEAT_SECONDS)
                break
            except subprocess.TimeoutExpired:
                log(f"  {what}: still building, {_elapsed(time.monotonic() - t0)} so far")
        reader.join()
    if p.returncode != 0:
        raise _explain_go_failure(what, "".join(chunks))
    return time.monotonic() - t0


HEARTBEAT_SECONDS = 60


def _elapsed(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6]


def _install_ldflags(name: str) -> str:
    ld = "-s -w"
    if name == "clusterctl":
        ld += f" -X sigs.k8s.io/cluster-api/version.gitVersion={CLUSTERCTL_VERSION}" \
              " -X sigs.k8s.io/cluster-api/version.gitMajor=1 -X sigs.k8s.io/cluster-api/version.gitMinor=13" \
              " -X sigs.k8s.io/cluster-api/version.gitTreeState=clean"
    if name == "govc":
        ld += f" -X github.com/vmware/govmomi/govc/flags.BuildVersion={GOVMOMI_VERSION}"
    return ld


def _targets() -> dict:
    """name -> (version key, list of binaries, build function)."""
    go = LAB_DIR / "go"
    return {
        "k8s": (f"{K8S_VERSION}-{_hash_files(go / 'k8s')}", ["kube-apiserver", "kube-controller-manager", "kubectl"]),
        "etcd": (f"{ETCD_VERSION}-{_hash_files(go / 'etcd')}", ["etcd"]),
        "vcsim": (f"{GOVMOMI_VERSION}-{_hash_files(go / 'vcsim', VCSIM_PATCH)}", ["lab-vcsim"]),
        "govc": (f"{GOVMOMI_VERSION}-{_short(_install_ldflags('govc'))}", ["govc"]),
        "clusterctl": (f"{CLUSTERCTL_VERSION}-{_short(_install_ldflags('clusterctl'))}", ["clusterctl"]),
        "kind": (f"{KIND_VERSION}-{_short(_install_ldflags('kind'))}", ["kind"]),
        "capi": (f"{CAPI_VERSION}-{CAPV_VERSION}-{_hash_files(go / 'capi', *CAPI_PATCHES.values())}",
                 list(CAPI_MANAGERS)),
        "etcdadm": (f"{ETCDADM_BOOTSTRAP_VERSION}-{_hash_files(go / 'etcdadm', CR_PATCH)}",
                    ["etcdadm-bootstrap-manager"]),
        "guest": (f"{K8S_VERSION}-{_hash_files(go / 'guest')}", ["lab-guest"]),
    }


# The real controllers (tests/lab/README.md): binary -> main package in go/capi
CAPI_MANAGERS = {
    "capi-manager": "sigs.k8s.io/cluster-api",
    "kubeadm-bootstrap-manager": "sigs.k8s.io/cluster-api/bootstrap/kubeadm",
    "kubeadm-control-plane-manager": "sigs.k8s.io/cluster-api/controlplane/kubeadm",
    "capv-manager": "sigs.k8s.io/cluster-api-provider-vsphere",
}
# controller-runtime's webhook server binds every interface when no host is given, and no manager has a flag for
# it: this patch (applied to a copy of the module at build time) makes the default 127.0.0.1.
CR_PATCH = LAB_DIR / "go" / "controller-runtime-loopback.patch"
# The Cluster API managers' build also takes two timing patches (tests/lab/README.md, "Real controllers"): Cluster API's
# cluster cache retries a failed first connection after LAB_CLUSTERCACHE_RETRY_INTERVAL (30s without it), and CAPV's
# ReconcilerRateLimiting flag reaches the Cluster API controller builder its reconcilers are built with.
CAPI_RETRY_PATCH = LAB_DIR / "go" / "cluster-api-clustercache-retry.patch"
CAPV_RATE_PATCH = LAB_DIR / "go" / "capv-reconciler-rate-limiting.patch"
CAPI_PATCHES = {"sigs.k8s.io/controller-runtime": CR_PATCH, "sigs.k8s.io/cluster-api": CAPI_RETRY_PATCH,
                "sigs.k8s.io/cluster-api-provider-vsphere": CAPV_RATE_PATCH}


# The providers' admission webhooks as their release renders them (the kubebuilder manifests of the pinned module;
# lab_bundle.py adds the kustomize name prefix and namespace): exported into the build's cache dir, so `up` never needs
# the Go module cache. provider key (lab_bundle.PROVIDERS) -> (module, version, file in the module)
WEBHOOK_SOURCES = {
    "capi": {
        "core": ("sigs.k8s.io/cluster-api", CAPI_VERSION, "config/webhook/manifests.yaml"),
        "bootstrap": ("sigs.k8s.io/cluster-api", CAPI_VERSION, "bootstrap/kubeadm/config/webhook/manifests.yaml"),
        "controlPlane": ("sigs.k8s.io/cluster-api", CAPI_VERSION, "controlplane/kubeadm/config/webhook/manifests.yaml"),
        "vSphere": ("sigs.k8s.io/cluster-api-provider-vsphere", CAPV_VERSION, "config/govmomi/webhook/manifests.yaml"),
    },
    "etcdadm": {
        "etcdadmBootstrap": ("github.com/aws/etcdadm-bootstrap-provider", ETCDADM_BOOTSTRAP_VERSION,
                             "config/webhook/manifests.yaml"),
    },
}


def _export_webhooks(name: str, out: Path) -> None:
    wd = out / "webhooks"
    tmp = out / "webhooks.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for key, (module, version, rel) in WEBHOOK_SOURCES[name].items():
        p = subprocess.run([GO, "mod", "download", "-json", f"{module}@{version}"], cwd=LAB_DIR / "go" / name,
                           env=_go_env(), capture_output=True, text=True)
        if p.returncode != 0:
            raise _explain_go_failure(f"download {module}@{version}", p.stdout + p.stderr)
        shutil.copyfile(Path(json.loads(p.stdout)["Dir"]) / rel, tmp / f"{key}.yaml")
    shutil.rmtree(wd, ignore_errors=True)
    tmp.rename(wd)


def webhooks_dirs() -> list[Path]:
    """Where the built providers' webhook manifests are (for lab_bundle.generate in real-controller mode)."""
    targets = _targets()
    return [_target_dir(n, targets[n][0]) / "webhooks" for n in WEBHOOK_SOURCES]


def _capi_ldflags() -> str:
    major, minor = CAPI_VERSION.lstrip("v").split(".")[:2]
    return (f"-s -w -X sigs.k8s.io/cluster-api/version.gitVersion={CAPI_VERSION}"
            f" -X sigs.k8s.io/cluster-api/version.gitMajor={major} -X sigs.k8s.io/cluster-api/version.gitMinor={minor}"
            " -X sigs.k8s.io/cluster-api/version.gitTreeState=clean"
            f" -X sigs.k8s.io/cluster-api-provider-vsphere/pkg/version.gitVersion={CAPV_VERSION}")


def _patched_module_copy(src: Path, work: Path, patches: dict[str, Path] | None = None) -> Path:
    """A copy of the scratch module `src` in `work` whose dependencies (module -> patch, a file in tests/lab/go
    applied with `git apply -p1`; {controller-runtime: CR_PATCH} by default) are patched copies, pulled in with a
    `replace` each."""
    mod = work / src.name
    shutil.copytree(src, mod)
    for module, patch in (patches or {"sigs.k8s.io/controller-runtime": CR_PATCH}).items():
        _patch_dependency(mod, work, module, patch)
    return mod


def _patch_dependency(mod: Path, work: Path, module: str, patch: Path) -> None:
    def info() -> dict:
        p = subprocess.run([GO, "list", "-m", "-json", module], cwd=mod, env=_go_env(), capture_output=True, text=True)
        if p.returncode != 0:
            raise _explain_go_failure(f"resolve {module} for {mod.name}", p.stdout + p.stderr)
        i = json.loads(p.stdout)
        return i.get("Replace") or i  # a module the scratch module already replaces (by a version): that version

    i = info()
    if not i.get("Dir"):
        _run_go(["mod", "download", f"{module}@{i['Version']}"], mod, f"download {module}")
        i = info()
    copy = work / f"{module.rsplit('/', 1)[-1]}-{i['Version']}"
    shutil.copytree(i["Dir"], copy)
    for f in copy.rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)
    copy.chmod(0o755)
    # git apply works outside a repository (git is there: the project is a clone); no `patch` program needed
    p = subprocess.run(["git", "apply", "-p1", str(patch)], cwd=copy, capture_output=True, text=True,
                       env=dict(os.environ, GIT_CEILING_DIRECTORIES=str(copy.parent)))  # never a repository above
    if p.returncode != 0:
        raise LabError(f"applying {patch.name} to {module} {i['Version']} failed:\n{p.stdout}{p.stderr}")
    subprocess.run([GO, "mod", "edit", f"-replace={module}={copy}"], cwd=mod, env=_go_env(), check=True)


# govmomi's simulator drops the ExtraConfig (CAPV's guestinfo.userdata) of a CloneVM_Task spec: fixed by this patch.
VCSIM_PATCH = LAB_DIR / "go" / "govmomi-clone-extraconfig.patch"


COMPONENTS = {
    "k8s": f"kubernetes {K8S_VERSION} (kube-apiserver, kube-controller-manager, kubectl; the longest, ~10 min cold)",
    "etcd": f"etcd {ETCD_VERSION}",
    "vcsim": f"vCenter simulator (govmomi {GOVMOMI_VERSION})",
    "govc": f"govc {GOVMOMI_VERSION}",
    "clusterctl": f"clusterctl {CLUSTERCTL_VERSION}",
    "kind": f"kind {KIND_VERSION}",
    "capi": f"Cluster API managers {CAPI_VERSION} (core, kubeadm bootstrap, kubeadm control plane) and CAPV {CAPV_VERSION}",
    "etcdadm": f"etcdadm bootstrap provider {ETCDADM_BOOTSTRAP_VERSION}",
    "guest": "lab-guest (the simulated guest's control-plane endpoint and kubelet port-forward)",
}


def _target_dir(name: str, key: str) -> Path:
    return cache_dir() / "versions" / name / key


def _build_target(name: str, out: Path) -> float:
    go = LAB_DIR / "go"
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    o = str(tmp) + "/"
    if name == "k8s":
        # One go build invocation for the three commands: shared packages compile once.
        dt = _run_go(["build", "-trimpath", "-ldflags", _k8s_ldflags(K8S_VERSION), "-o", o,
                      "k8s.io/kubernetes/cmd/kube-apiserver", "k8s.io/kubernetes/cmd/kube-controller-manager",
                      "k8s.io/kubernetes/cmd/kubectl"], go / "k8s", f"build kubernetes {K8S_VERSION}")
    elif name == "etcd":
        dt = _run_go(["build", "-trimpath", "-ldflags", "-s -w", "-o", str(tmp / "etcd"), "go.etcd.io/etcd/server/v3"],
                     go / "etcd", f"build etcd {ETCD_VERSION}")
    elif name in ("capi", "etcdadm"):
        work = out.with_name(out.name + ".src")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            mod = _patched_module_copy(go / name, work, CAPI_PATCHES if name == "capi" else None)
            dt = 0.0
            if name == "capi":
                # one go build per binary (two of them are named kubeadm); the build cache shares their packages
                for binary, pkg in CAPI_MANAGERS.items():
                    dt += _run_go(["build", "-trimpath", "-ldflags", _capi_ldflags(), "-o", str(tmp / binary), pkg],
                                  mod, f"build {binary}")
            else:
                dt = _run_go(["build", "-trimpath", "-ldflags", "-s -w", "-o", str(tmp / "etcdadm-bootstrap-manager"),
                              "github.com/aws/etcdadm-bootstrap-provider"], mod, "build etcdadm-bootstrap-manager")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    elif name == "guest":
        dt = _run_go(["build", "-trimpath", "-ldflags", "-s -w", "-o", str(tmp / "lab-guest"), "."],
                     go / "guest", "build lab-guest")
    elif name == "vcsim":
        work = out.with_name(out.name + ".src")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            mod = _patched_module_copy(go / "vcsim", work, {"github.com/vmware/govmomi": VCSIM_PATCH})
            dt = _run_go(["build", "-trimpath", "-ldflags", "-s -w", "-o", str(tmp / "lab-vcsim"), "."],
                         mod, f"build vcsim (govmomi {GOVMOMI_VERSION})")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    else:
        pkg = {
            "govc": f"github.com/vmware/govmomi/govc@{GOVMOMI_VERSION}",
            "clusterctl": f"sigs.k8s.io/cluster-api/cmd/clusterctl@{CLUSTERCTL_VERSION}",
            "kind": f"sigs.k8s.io/kind@{KIND_VERSION}",
        }[name]
        ld = _install_ldflags(name)
        env_gobin = dict(GOBIN=str(tmp))
        os.environ.update(env_gobin)
        try:
            dt = _run_go(["install", "-trimpath", "-ldflags", ld, pkg], LAB_DIR, f"install {pkg}")
        finally:
            os.environ.pop("GOBIN", None)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return dt


def build(only: list[str] | None = None) -> dict:
    """Build every missing binary into the cache; link them into <cache>/bin. Returns build times."""
    if not Path(GO).exists() and not shutil.which(GO):
        raise LabError(f"go not found (looked for {GO}); set LAB_GO")
    times = {}
    bd = bin_dir()
    bd.mkdir(parents=True, exist_ok=True)
    todo = [(name, key, binaries) for name, (key, binaries) in _targets().items()
            if (not only or name in only) and not all((_target_dir(name, key) / b).exists() for b in binaries)]
    if todo:
        log(f"building the lab's binaries from source into {cache_dir()}: a one-time build that takes about "
            f"10-15 minutes on 2 cores (later runs reuse it)")
    t_all = time.monotonic()
    for i, (name, key, binaries) in enumerate(todo, 1):
        log(f"[{i}/{len(todo)}] {COMPONENTS.get(name, name)}: building")
        times[name] = _build_target(name, _target_dir(name, key))
        log(f"[{i}/{len(todo)}] {COMPONENTS.get(name, name)}: built in {_elapsed(times[name])} "
            f"(build total {_elapsed(time.monotonic() - t_all)})")
    for name, (key, binaries) in _targets().items():
        if only and name not in only:
            continue
        out = _target_dir(name, key)
        if name in WEBHOOK_SOURCES and not (out / "webhooks").is_dir():
            _export_webhooks(name, out)
        for b in binaries:
            link = bd / b
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(out / b)
    timings = cache_dir() / "build-times.json"
    if times:
        old = json.loads(timings.read_text()) if timings.exists() else {}
        old.update({k: round(v, 1) for k, v in times.items()})
        timings.write_text(json.dumps(old, indent=1))
    return times


def gen_gomod(version: str) -> None:
    """Regenerate go/k8s/go.mod for k8s.io/kubernetes <version> (staging modules replaced by v0.X.Y)."""
    d = LAB_DIR / "go" / "k8s"
    p = subprocess.run([GO, "mod", "download", "-json", f"k8s.io/kubernetes@{version}"], cwd=d, env=_go_env(),
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise _explain_go_failure("download k8s.io/kubernetes", p.stdout + p.stderr)
    info = json.loads(p.stdout)
    gomod = Path(info["GoMod"]).read_text()
    staging = re.findall(r"^\s+(k8s\.io/\S+) v0\.0\.0$", gomod, re.M)
    goline = re.search(r"^go (\S+)$", gomod, re.M).group(1)
    minor = version.lstrip("v").split(".", 1)[1]
    lines = [
        "// Scratch module that builds kube-apiserver, kube-controller-manager and kubectl",
        f"// from k8s.io/kubernetes {version}. Generated by tests/lab/lab.py gen-gomod; do not edit by hand.",
        "module eksa.anywhere/lab/k8s", "", f"go {goline}", "", f"require k8s.io/kubernetes {version}", "",
        "replace (",
        *[f"\t{m} => {m} v0.{minor}" for m in staging],
        ")", "",
    ]
    (d / "go.mod").write_text("\n".join(lines))
    (d / "go.sum").unlink(missing_ok=True)
    p = subprocess.run([GO, "mod", "tidy"], cwd=d, env=_go_env(), capture_output=True, text=True)
    if p.returncode != 0:
        raise _explain_go_failure("go mod tidy (k8s)", p.stdout + p.stderr)
    log(f"go/k8s/go.mod regenerated for {version} ({len(staging)} staging modules)")


# --- PKI ---------------------------------------------------------------------------------------

def _pki(sd: Path) -> dict:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
    import ipaddress

    pki = sd / "pki"
    pki.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)

    def key():
        return ec.generate_private_key(ec.SECP256R1())

    def write_key(k, path):
        path.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
        path.chmod(0o600)

    def name(cn, org=None):
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        if org:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
        return x509.Name(attrs)

    ca_key = key()
    ca = (x509.CertificateBuilder().subject_name(name("eksa-anywhere-lab-ca")).issuer_name(name("eksa-anywhere-lab-ca"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    (pki / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    write_key(ca_key, pki / "ca.key")

    def issue(base, cn, org=None, server_names=(), client=False):
        k = key()
        b = (x509.CertificateBuilder().subject_name(name(cn, org)).issuer_name(ca.subject).public_key(k.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
             .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH] if client
                                                  else [ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        if server_names:
            sans = []
            for n in server_names:
                try:
                    sans.append(x509.IPAddress(ipaddress.ip_address(n)))
                except ValueError:
                    sans.append(x509.DNSName(n))
            b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        c = b.sign(ca_key, hashes.SHA256())
        (pki / f"{base}.crt").write_bytes(c.public_bytes(serialization.Encoding.PEM))
        write_key(k, pki / f"{base}.key")
        return c

    api_names = ["127.0.0.1", "localhost", "10.96.0.1", "kubernetes", "kubernetes.default",
                 "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"]
    issue("apiserver", "kube-apiserver", server_names=api_names)
    issue("admin", "lab-admin", org="system:masters", client=True)
    issue("kcm", "system:kube-controller-manager", client=True)
    vc = issue("vcsim", "127.0.0.1", server_names=["127.0.0.1", "localhost"])
    sa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write_key(sa, pki / "sa.key")
    (pki / "sa.pub").write_bytes(sa.public_key().public_bytes(serialization.Encoding.PEM,
                                                                serialization.PublicFormat.SubjectPublicKeyInfo))
    fp = vc.fingerprint(hashes.SHA1()).hex().upper()
    return {"thumbprint": ":".join(fp[i:i + 2] for i in range(0, len(fp), 2))}


# --- processes ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid_alive(pid: int, expect: str | None = None) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if ") Z" in stat:
            return False
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return expect is None or expect in cmd


def _start(sd: Path, name: str, argv: list[str], env: dict | None = None) -> int:
    logs = sd / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{name}.log", "ab") as lf:
        p = subprocess.Popen(argv, stdout=lf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True, env=env or os.environ.copy(), cwd=sd)
    (sd / "pids").mkdir(exist_ok=True)
    match = argv[1] if "python" in Path(argv[0]).name else argv[0]
    (sd / "pids" / f"{name}.pid").write_text(json.dumps({"pid": p.pid, "match": match}))
    return p.pid


def _stop_all(sd: Path, timeout: float = 15) -> list[str]:
    stopped = []
    pdir = sd / "pids"
    if not pdir.is_dir():
        return stopped
    entries = []
    for f in pdir.glob("*.pid"):
        try:
            info = json.loads(f.read_text())
        except ValueError:
            continue
        entries.append((f, info))
    # stop dependents first: capi-sim, controller managers, api servers, vcsim, etcd last
    order = ["capi-sim", "guest-sim", "real-controllers", "ctrl-", "lab-guest-", "kcm-", "apiserver-", "vcsim", "etcd"]
    entries.sort(key=lambda e: next((i for i, p in enumerate(order) if e[0].stem.startswith(p)), 99))
    for f, info in entries:
        pid, match = info["pid"], info.get("match")
        if _pid_alive(pid, match):
            try:
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and _pid_alive(pid, match):
                time.sleep(0.1)
            if _pid_alive(pid, match):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                time.sleep(0.2)
            stopped.append(f.stem)
        f.unlink(missing_ok=True)
    return stopped


def _wait(what: str, fn, timeout: float, sd: Path, logname: str | None = None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            r = fn()
            if r:
                return r
        except Exception as e:  # noqa: BLE001
            last = e
        if logname:
            info = json.loads((sd / "pids" / f"{logname}.pid").read_text())
            if not _pid_alive(info["pid"]):
                tail = (sd / "logs" / f"{logname}.log").read_text(errors="replace")[-3000:]
                raise LabError(f"{what}: process exited; log tail:\n{tail}")
        time.sleep(0.2)
    raise LabError(f"timed out waiting for {what} ({last})")


def _kubeconfig(path: Path, server: str, pki: Path, user: str, cert: str, cluster: str) -> None:
    import base64
    import yaml

    def b64(p):
        return base64.b64encode((pki / p).read_bytes()).decode()

    cfg = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {"server": server, "certificate-authority-data": b64("ca.crt")}}],
        "users": [{"name": user, "user": {"client-certificate-data": b64(f"{cert}.crt"),
                                          "client-key-data": b64(f"{cert}.key")}}],
        "contexts": [{"name": f"{user}@{cluster}", "context": {"cluster": cluster, "user": user}}],
        "current-context": f"{user}@{cluster}",
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(cfg, f)
    path.chmod(0o600)


def _https_ok(url: str, pki: Path) -> bool:
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    import urllib.request
    with urllib.request.urlopen(url, context=ctx, timeout=2) as r:
        return r.status == 200


def _http_ok(url: str) -> bool:
    import urllib.request
    with urllib.request.urlopen(url, timeout=2) as r:
        return r.status == 200


def _start_apiserver(sd: Path, c: str, etcd: str) -> int:
    """Start kube-apiserver `c` on a free port, its objects under the etcd prefix /registry-<c>; returns the port."""
    bd, pki = bin_dir(), sd / "pki"
    port = free_port()
    _start(sd, f"apiserver-{c}", [
        str(bd / "kube-apiserver"),
        f"--etcd-servers={etcd}", f"--etcd-prefix=/registry-{c}",
        f"--cert-dir={sd / ('apiserver-' + c)}",
        f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--client-ca-file={pki / 'ca.crt'}",
        f"--secure-port={port}", "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
        "--service-cluster-ip-range=10.96.0.0/12", "--authorization-mode=RBAC", "--allow-privileged=true",
        f"--service-account-issuer=https://kubernetes.default.svc.cluster.local/{c}",
        f"--service-account-key-file={pki / 'sa.pub'}", f"--service-account-signing-key-file={pki / 'sa.key'}",
        "--disable-admission-plugins=ServiceAccount", "--enable-priority-and-fairness=false",
        "--profiling=false", "--endpoint-reconciler-type=none", "-v=1",
    ])
    return port


def pool_size_wanted() -> int:
    """LAB_WORKLOAD_API_SERVERS: how many extra workload API servers `up` starts (default 0: `grow` adds them when a
    test or benchmark needs them, so `up` stays as fast and small as before)."""
    raw = os.environ.get("LAB_WORKLOAD_API_SERVERS", "0").strip() or "0"
    try:
        n = int(raw)
    except ValueError as e:
        raise LabError(f"LAB_WORKLOAD_API_SERVERS={raw!r}: not a number") from e
    if not 0 <= n <= MAX_POOL:
        raise LabError(f"LAB_WORKLOAD_API_SERVERS={n}: between 0 and {MAX_POOL} (each API server takes ~550 MiB)")
    return n


MAX_POOL = 16


def grow(n: int) -> dict:
    """Make sure at least n extra workload API servers (workload-2 ... workload-<n+1>) run in the running lab.

    Each is a real kube-apiserver on the lab's one etcd (prefix /registry-workload-<i>), with its own admin kubeconfig
    (0600), recorded in state.json (`pool`) and env.sh (LAB_WORKLOAD_<i>_KUBECONFIG); no controller-manager (what the
    collection and capi-sim write there - Nodes, the CNI, the storage class - needs none). Starts the missing ones
    together, then waits for each; a lock serializes concurrent calls. `down` stops them with the rest."""
    import fcntl
    if not 0 <= n <= MAX_POOL:
        raise LabError(f"grow {n}: between 0 and {MAX_POOL} (each API server takes ~550 MiB)")
    sd = state_dir()
    if not _read_state(sd):
        raise LabError(f"lab is not up (no {sd / 'state.json'}); run `make lab-up`")
    with open(sd / "pool.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        st = _read_state(sd)
        pool = st.setdefault("pool", [])
        t0 = time.monotonic()
        new = []
        for i in range(len(pool) + 2, n + 2):
            c = f"workload-{i}"
            new.append((c, _start_apiserver(sd, c, st["etcd"])))
        pki = sd / "pki"
        try:
            for c, port in new:
                url = f"https://127.0.0.1:{port}"
                _wait(f"kube-apiserver {c}", lambda u=url: _https_ok(u + "/readyz", pki), 120, sd, f"apiserver-{c}")
                kc = sd / f"{c}.kubeconfig"
                _kubeconfig(kc, url, pki, "lab-admin", "admin", f"lab-{c}")
                pool.append({"name": c, "server": url, "kubeconfig": str(kc)})
        finally:
            _write_state(sd, st)
            _write_env(sd, st)
        if new:
            log(f"{len(new)} workload API server(s) started in {time.monotonic() - t0:.1f}s "
                f"({', '.join(c for c, _ in new)}; pool of {len(pool)})")
        return st


CLUSTERS = ("bootstrap", "workload")


def controllers_mode() -> str:
    """LAB_CONTROLLERS: `real` runs the real Cluster API managers (real_controllers.py) with the simulated guest
    (guest_sim.py); `sim` (the default) runs capi-sim in place of all of them."""
    mode = os.environ.get("LAB_CONTROLLERS", "sim").strip() or "sim"
    if mode not in ("real", "sim"):
        raise LabError(f"LAB_CONTROLLERS={mode!r}: `real` or `sim`")
    return mode


def up(seed_inventory: Path | None = None, capi_sim: bool = True) -> dict:
    sd = state_dir()
    st = _read_state(sd)
    if st and _healthy(sd, st):
        mode = st.get("controllers") or "sim"
        log(f"lab already up (state dir {sd}, controllers: {mode})")
        if mode != controllers_mode():
            log(f"note: LAB_CONTROLLERS={controllers_mode()} asks for the other mode; the running lab keeps its "
                f"clusters and its mode (`lab.py down` first to switch)")
        return st
    if st or (sd / "pids").exists():
        log("stale lab state found; cleaning up first")
        down(quiet=True)
    extra = pool_size_wanted()
    build()
    t0 = time.monotonic()
    sd.mkdir(parents=True, exist_ok=True)
    sd.chmod(0o700)
    bd = bin_dir()
    pki = sd / "pki"
    info = _pki(sd)
    state: dict = {"state_dir": str(sd), "bin": str(bd), "versions": {
        "kubernetes": K8S_VERSION, "etcd": ETCD_VERSION, "govmomi": GOVMOMI_VERSION,
        "clusterctl": CLUSTERCTL_VERSION, "kind": KIND_VERSION}}
    try:
        # etcd (plain HTTP on loopback; shared by both API servers with different prefixes)
        ec, ep = free_port(), free_port()
        _start(sd, "etcd", [str(bd / "etcd"), "--name", "lab", "--data-dir", str(sd / "etcd"),
                            "--listen-client-urls", f"http://127.0.0.1:{ec}",
                            "--advertise-client-urls", f"http://127.0.0.1:{ec}",
                            "--listen-peer-urls", f"http://127.0.0.1:{ep}",
                            "--initial-advertise-peer-urls", f"http://127.0.0.1:{ep}",
                            "--initial-cluster", f"lab=http://127.0.0.1:{ep}",
                            "--unsafe-no-fsync", "--log-level", "warn"])
        # vcsim can start concurrently
        vurl = sd / "vcsim.url"
        password, cp_password = new_password(), new_password()
        vcsim_env = dict(os.environ, LAB_VCSIM_PASSWORD=password, LAB_VCSIM_EXTRA_USERS=f"{VSPHERE_CP_USER}:{cp_password}")
        # the versioned binary, not the bin/ link: another checkout's lab may relink bin/ to an older build
        vcsim_bin = _target_dir("vcsim", _targets()["vcsim"][0]) / "lab-vcsim"
        _start(sd, "vcsim", [str(vcsim_bin), "-l", "127.0.0.1:0", "-username", VSPHERE_USER,
                             "-tlscert", str(pki / "vcsim.crt"),
                             "-tlskey", str(pki / "vcsim.key"), "-url-file", str(vurl)], env=vcsim_env)
        _wait("etcd", lambda: _http_ok(f"http://127.0.0.1:{ec}/health"), 30, sd, "etcd")
        state["etcd"] = f"http://127.0.0.1:{ec}"
        state["pool"] = []
        ports = {c: _start_apiserver(sd, c, state["etcd"]) for c in CLUSTERS}
        for c in CLUSTERS:
            url = f"https://127.0.0.1:{ports[c]}"
            _wait(f"kube-apiserver {c}", lambda u=url: _https_ok(u + "/readyz", pki), 90, sd, f"apiserver-{c}")
            kc = sd / f"{c}.kubeconfig"
            _kubeconfig(kc, url, pki, "lab-admin", "admin", f"lab-{c}")
            kcm_kc = sd / f"kcm-{c}.kubeconfig"
            _kubeconfig(kcm_kc, url, pki, "lab-admin", "admin", f"lab-{c}")
            _start(sd, f"kcm-{c}", [
                str(bd / "kube-controller-manager"), f"--kubeconfig={kcm_kc}", "--leader-elect=false",
                "--secure-port=0", "--controllers=garbagecollector,namespace,serviceaccount,serviceaccount-token",
                f"--service-account-private-key-file={pki / 'sa.key'}", f"--root-ca-file={pki / 'ca.crt'}",
                "--concurrent-gc-syncs=5", "-v=1",
            ])
            state[c] = {"server": url, "kubeconfig": str(kc)}
        # vCenter simulator
        _wait("vcsim", lambda: vurl.exists() and vurl.read_text().strip(), 30, sd, "vcsim")
        sdk = vurl.read_text().strip()
        hostport = sdk.split("//", 1)[1].split("/", 1)[0]
        state["vsphere"] = {"url": sdk, "server": hostport, "username": VSPHERE_USER, "password": password,
                            "cp_username": VSPHERE_CP_USER, "cp_password": cp_password,
                            "thumbprint": info["thumbprint"], "ca_file": str(pki / "ca.crt")}
        import vsphere_seed
        rest = None
        si = vsphere_seed.connect(hostport, VSPHERE_USER, password, cafile=str(pki / "ca.crt"))
        try:
            inv = vsphere_seed.load_inventory(seed_inventory or LAB_DIR / "inventory.yaml")
            rest = vsphere_seed.RestSession(hostport, VSPHERE_USER, password, cafile=str(pki / "ca.crt"))
            vsphere_seed.seed(si, inv, rest=rest, datastore_root=sd / "datastores")
        finally:
            vsphere_seed.disconnect(si)
            if rest is not None:
                rest.close()
        # lab bundle + clusterctl repository
        import lab_bundle
        mode = controllers_mode()
        state["controllers"] = mode
        b = lab_bundle.generate(sd / "bundle", shared_dir(), webhooks_dirs() if mode == "real" else None)
        state["bundle"] = str(b["bundle"])
        state["clusterctl_config"] = str(b["clusterctl_config"])
        if mode == "real":
            # the real managers (for the provider Deployments clusterctl creates) and the simulated guest side
            _start(sd, "real-controllers", [sys.executable, str(LAB_DIR / "real_controllers.py"), "--state-dir", str(sd)])
            if capi_sim and os.environ.get("LAB_CAPI_SIM", "1") != "0":
                _start(sd, "guest-sim", [sys.executable, str(LAB_DIR / "guest_sim.py"), "--state-dir", str(sd)])
                state["guest_sim"] = True
        elif capi_sim and os.environ.get("LAB_CAPI_SIM", "1") != "0":
            _start(sd, "capi-sim", [sys.executable, str(LAB_DIR / "capi_sim.py"), "--state-dir", str(sd)])
            state["capi_sim"] = True
        _write_state(sd, state)
        _write_env(sd, state)
        _wait("kube-controller-managers", lambda: all(
            _pid_alive(json.loads((sd / "pids" / f"kcm-{c}.pid").read_text())["pid"]) for c in CLUSTERS), 5, sd)
        if extra:
            state = grow(extra)
    except BaseException:
        log(f"lab up failed; logs in {sd / 'logs'}; stopping what was started")
        _stop_all(sd)
        raise
    log(f"lab up in {time.monotonic() - t0:.1f}s (state dir {sd})")
    return state


def _read_state(sd: Path) -> dict | None:
    f = sd / "state.json"
    return json.loads(f.read_text()) if f.exists() else None


def _write_secret_file(path: Path, text: str) -> None:
    """state.json and env.sh hold the lab's vSphere passwords: 0600 from the first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    path.chmod(0o600)


def _write_state(sd: Path, st: dict) -> None:
    _write_secret_file(sd / "state.json", json.dumps(st, indent=1))


def env_values(st: dict) -> dict:
    v = st["vsphere"]
    return {
        "LAB_BOOTSTRAP_KUBECONFIG": st["bootstrap"]["kubeconfig"],
        "LAB_WORKLOAD_KUBECONFIG": st["workload"]["kubeconfig"],
        "LAB_VSPHERE_SERVER": v["server"],
        "LAB_VSPHERE_USERNAME": v["username"],
        "LAB_VSPHERE_PASSWORD": v["password"],
        "LAB_VSPHERE_CP_USERNAME": v.get("cp_username", ""),
        "LAB_VSPHERE_CP_PASSWORD": v.get("cp_password", ""),
        "LAB_VSPHERE_THUMBPRINT": v["thumbprint"],
        "LAB_VSPHERE_CA_FILE": v["ca_file"],
        "LAB_BUNDLE": st["bundle"],
        "LAB_CLUSTERCTL_CONFIG": st["clusterctl_config"],
        "LAB_BIN": st["bin"],
        "LAB_STATE_DIR": st["state_dir"],
        # the pool of extra workload API servers (`grow`): how many, and each one's admin kubeconfig
        "LAB_WORKLOAD_API_SERVERS": str(len(st.get("pool") or [])),
        **{f"LAB_{p['name'].upper().replace('-', '_')}_KUBECONFIG": p["kubeconfig"] for p in st.get("pool") or []},
    }


def _write_env(sd: Path, st: dict) -> None:
    lines = [f"export {k}={shlex.quote(v)}" for k, v in env_values(st).items()]
    _write_secret_file(sd / "env.sh", "\n".join(lines) + "\n")


def _healthy(sd: Path, st: dict) -> bool:
    return all(ok for _, ok, _ in _status_rows(sd, st))


def _status_rows(sd: Path, st: dict):
    rows = []
    pdir = sd / "pids"
    names = ["etcd", "vcsim"] + [f"{p}-{c}" for c in CLUSTERS for p in ("apiserver", "kcm")]
    names += [f"apiserver-{p['name']}" for p in st.get("pool") or []]
    servers = dict({c: st[c]["server"] for c in CLUSTERS if c in st},
                   **{p["name"]: p["server"] for p in st.get("pool") or []})
    if st.get("capi_sim"):
        names.append("capi-sim")
    if st.get("controllers") == "real":
        names.append("real-controllers")
    if st.get("guest_sim"):
        names.append("guest-sim")
    for n in names:
        f = pdir / f"{n}.pid"
        if not f.exists():
            rows.append((n, False, "not started"))
            continue
        info = json.loads(f.read_text())
        alive = _pid_alive(info["pid"], info.get("match"))
        detail = f"pid {info['pid']}"
        if alive and n.startswith("apiserver-"):
            c = n.split("-", 1)[1]
            try:
                alive = _https_ok(servers[c] + "/readyz", sd / "pki")
                detail += f" {servers[c]}"
            except Exception as e:  # noqa: BLE001
                alive, detail = False, f"{detail} not ready: {e}"
        rows.append((n, alive, detail if alive else (detail + " (dead)" if "not ready" not in detail else detail)))
    return rows


def status() -> int:
    sd = state_dir()
    st = _read_state(sd)
    if not st:
        print(f"lab is down (no state in {sd})")
        return 1
    rows = _status_rows(sd, st)
    for n, ok, d in rows:
        print(f"{n:24} {'up' if ok else 'DOWN':5} {d}")
    print(f"vsphere                  {st['vsphere']['url']} thumbprint {st['vsphere']['thumbprint']}")
    print(f"bundle                   {st['bundle']}")
    return 0 if all(ok for _, ok, _ in rows) else 1


def down(quiet: bool = False) -> None:
    sd = state_dir()
    stopped = _stop_all(sd)
    if sd.exists():
        if os.environ.get("LAB_KEEP_STATE") == "1":
            (sd / "state.json").unlink(missing_ok=True)
        else:
            shutil.rmtree(sd, ignore_errors=True)
    if not quiet:
        log(f"lab down (stopped: {', '.join(stopped) or 'nothing'})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="lab.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("only", nargs="*", help="subset of: " + ", ".join(_targets()))
    u = sub.add_parser("up")
    u.add_argument("--inventory", type=Path, help="inventory YAML (default tests/lab/inventory.yaml)")
    u.add_argument("--no-capi-sim", action="store_true")
    gr = sub.add_parser("grow", help="make sure N extra workload API servers run (the pool capi-sim assigns from)")
    gr.add_argument("n", type=int)
    sub.add_parser("down")
    sub.add_parser("status")
    e = sub.add_parser("env")
    e.add_argument("--json", action="store_true")
    g = sub.add_parser("gen-gomod")
    g.add_argument("version", nargs="?", default=K8S_VERSION)
    a = ap.parse_args(argv)
    try:
        if a.cmd == "build":
            t = build(a.only or None)
            log("build: " + (", ".join(f"{k} {v:.0f}s" for k, v in t.items()) if t else "all binaries cached"))
        elif a.cmd == "up":
            st = up(a.inventory, capi_sim=not a.no_capi_sim)
            # the environment without the passwords: `lab.py env` (make -s lab-env) prints them when asked
            for k, v in env_values(st).items():
                if "PASSWORD" not in k:
                    print(f"export {k}={shlex.quote(v)}")
            print("# and the vSphere passwords: eval \"$(make -s lab-env)\" (or lab.py env)")
        elif a.cmd == "grow":
            st = grow(a.n)
            for p in st.get("pool") or []:
                print(f"{p['name']} {p['server']} {p['kubeconfig']}")
        elif a.cmd == "down":
            down()
        elif a.cmd == "status":
            return status()
        elif a.cmd == "env":
            st = _read_state(state_dir())
            if not st:
                raise LabError(f"lab is not up (no {state_dir() / 'state.json'}); run `make lab-up`")
            vals = env_values(st)
            if a.json:
                print(json.dumps(vals, indent=1))
            else:
                print((state_dir() / "env.sh").read_text(), end="")
        elif a.cmd == "gen-gomod":
            gen_gomod(a.version)
    except LabError as e:
        log(f"ERROR: {e}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
