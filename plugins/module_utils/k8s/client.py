# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""A small Kubernetes REST client: kubeconfig loading, discovery, server-side apply, get/list/delete, watch.

Independent of AnsibleModule, so modules, action plugins, tests and benchmarks share it. Credentials
held in a kubeconfig are only ever written to private (0600) temporary files, removed by ``close()``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import shutil
import tempfile
import time

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - reported by the modules
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = _exc

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - reported by the modules
    HAS_YAML = False

from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import write_private
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.loader import SAFE_LOADER, yaml_error_message

FIELD_MANAGER = "eksa-anywhere"
CORE_GROUPS = ("", "v1")


class K8sError(Exception):
    """An API or connection error, with the HTTP status when there is one."""

    def __init__(self, message, status=None, reason=None, body=None):
        super(K8sError, self).__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.body = body

    def __str__(self):
        return self.message


class NotFound(K8sError):
    pass


def _private_dir():
    path = tempfile.mkdtemp(prefix="eksa-anywhere-k8s-")
    os.chmod(path, 0o700)
    return path


def write_private_file(directory, name, content):
    """Write content (bytes or text) into directory/name with mode 0600 and return the path."""
    return write_private(os.path.join(directory, name), content)


class Connection:
    """Where and how to reach one API server (what a kubeconfig context resolves to)."""

    def __init__(self, server, ca_file=None, cert_file=None, key_file=None, token=None, verify=True, private_dir=None):
        self.server = server.rstrip("/")
        self.ca_file = ca_file
        self.cert_file = cert_file
        self.key_file = key_file
        self.token = token
        self.verify = verify
        self._private_dir = private_dir

    def close(self):
        if self._private_dir and os.path.isdir(self._private_dir):
            shutil.rmtree(self._private_dir, ignore_errors=True)
        self._private_dir = None

    def kubeconfig_dict(self, name="eksa-anywhere"):
        """A self-contained kubeconfig for this connection (data inlined), e.g. for CLI tools."""
        cluster = {"server": self.server}
        if not self.verify:
            cluster["insecure-skip-tls-verify"] = True
        elif self.ca_file:
            cluster["certificate-authority-data"] = _b64_file(self.ca_file)
        user = {}
        if self.cert_file:
            user["client-certificate-data"] = _b64_file(self.cert_file)
        if self.key_file:
            user["client-key-data"] = _b64_file(self.key_file)
        if self.token:
            user["token"] = self.token
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": cluster}],
            "users": [{"name": name, "user": user}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
        }


def _b64_file(path):
    with open(path, "rb") as handle:
        return base64.b64encode(handle.read()).decode("ascii")


def _resolve(base_dir, path):
    if not path:
        return path
    return path if os.path.isabs(path) else os.path.join(base_dir, path)


def load_kubeconfig(path=None, context=None, data=None):
    """Resolve a kubeconfig (file or dict) and context into a Connection.

    Embedded certificate/key data is written to a private temporary directory (0700, files 0600),
    removed by Connection.close().
    """
    if data is None:
        if not path:
            path = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or os.path.expanduser("~/.kube/config")
        if not os.path.exists(path):
            raise K8sError("kubeconfig %s does not exist: give the path of a kubeconfig file (kubeconfig option or K8S_AUTH_KUBECONFIG)" % path)
        with open(path, "rb") as handle:
            try:
                data = yaml.load(handle.read(), Loader=SAFE_LOADER)
            except yaml.YAMLError as exc:  # it holds keys and tokens: say where, never quote the line
                raise K8sError("kubeconfig %s is not valid YAML: %s" % (path, yaml_error_message(exc)[0]))
        base_dir = os.path.dirname(os.path.abspath(path))
    else:
        base_dir = os.getcwd()
    where = path or "the kubeconfig"
    if not isinstance(data, dict):
        raise K8sError("%s is not a kubeconfig (a mapping with clusters, users and contexts)" % where)

    def _named(section, name):
        for item in data.get(section) or []:
            if isinstance(item, dict) and item.get("name") == name:
                return item
        raise K8sError("%s has no %s named %r" % (where, section[:-1], name))

    context_name = context or data.get("current-context")
    if not context_name:
        raise K8sError("%s has no current-context: give the context to use" % where)
    ctx = _named("contexts", context_name).get("context") or {}
    cluster = _named("clusters", ctx.get("cluster")).get("cluster") or {}
    user = (_named("users", ctx.get("user")).get("user") or {}) if ctx.get("user") else {}
    if not cluster.get("server"):
        raise K8sError("%s: cluster of context %r has no server" % (where, context_name))

    private = _private_dir()
    try:
        ca_file = _resolve(base_dir, cluster.get("certificate-authority"))
        if cluster.get("certificate-authority-data"):
            ca_file = write_private_file(private, "ca.crt", base64.b64decode(cluster["certificate-authority-data"]))
        cert_file = _resolve(base_dir, user.get("client-certificate"))
        if user.get("client-certificate-data"):
            cert_file = write_private_file(private, "client.crt", base64.b64decode(user["client-certificate-data"]))
        key_file = _resolve(base_dir, user.get("client-key"))
        if user.get("client-key-data"):
            key_file = write_private_file(private, "client.key", base64.b64decode(user["client-key-data"]))
        token = user.get("token")
        if not token and user.get("tokenFile"):
            with open(_resolve(base_dir, user["tokenFile"])) as handle:
                token = handle.read().strip()
    except (TypeError, ValueError, IOError, OSError) as exc:
        shutil.rmtree(private, ignore_errors=True)
        raise K8sError("%s: cannot read the credentials of context %r: %s" % (where, context_name, exc))
    return Connection(cluster["server"], ca_file=ca_file, cert_file=cert_file, key_file=key_file, token=token,
                      verify=not cluster.get("insecure-skip-tls-verify", False), private_dir=private)


def connection_from_params(params):
    """A Connection from the eksa.anywhere.k8s_auth options (see args_k8s.K8S_AUTH_ARG_SPEC)."""
    if params.get("host"):
        return Connection(params["host"], ca_file=params.get("ca_cert"), cert_file=params.get("client_cert"),
                          key_file=params.get("client_key"), token=params.get("api_key"),
                          verify=params.get("validate_certs", True))
    conn = load_kubeconfig(params.get("kubeconfig"), params.get("context"))
    if params.get("validate_certs") is False:
        conn.verify = False
    return conn


def split_api_version(api_version):
    if "/" in api_version:
        group, version = api_version.split("/", 1)
        return group, version
    return "", api_version


class Resource:
    def __init__(self, api_version, kind, plural, namespaced, subresources=()):
        self.api_version = api_version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
        self.subresources = tuple(subresources)

    def path(self, name=None, namespace=None, subresource=None):
        group, version = split_api_version(self.api_version)
        base = "/api/%s" % version if not group else "/apis/%s/%s" % (group, version)
        if self.namespaced and namespace:
            base += "/namespaces/%s" % namespace
        base += "/" + self.plural
        if name:
            base += "/" + name
            if subresource:
                base += "/" + subresource
        return base


class K8sClient:
    """A thin client of one API server. ``round_trips`` counts HTTP requests."""

    def __init__(self, connection, timeout=30, field_manager=FIELD_MANAGER, retries=10):
        if not HAS_REQUESTS:
            raise K8sError("the Python library requests is required: %s" % REQUESTS_IMPORT_ERROR)
        self.conn = connection
        self.timeout = timeout
        self.field_manager = field_manager
        self.round_trips = 0
        self.retries = retries
        self._resources = {}
        self._group_versions = {}
        self.session = requests.Session()
        # passed with every request: a session-level verify loses against REQUESTS_CA_BUNDLE in the environment
        self.verify = (connection.ca_file or True) if connection.verify else False
        if connection.cert_file:
            self.session.cert = (connection.cert_file, connection.key_file) if connection.key_file else connection.cert_file
        if connection.token:
            self.session.headers["Authorization"] = "Bearer %s" % connection.token
        self.session.headers["User-Agent"] = "eksa.anywhere"

    def close(self):
        self.session.close()

    # ------------------------------------------------------------------ raw
    def request(self, method, path, body=None, params=None, content_type="application/json", stream=False, timeout=None, ok_missing=False):
        url = self.conn.server + path
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        for attempt in range(self.retries + 1):
            self.round_trips += 1
            try:
                resp = self.session.request(method, url, data=data, params=params, headers=headers, stream=stream,
                                            timeout=timeout or self.timeout, verify=self.verify)
            except requests.exceptions.SSLError as exc:
                raise K8sError("TLS error talking to %s: %s (check the kubeconfig's certificate-authority, or validate_certs)" % (self.conn.server, exc))
            except requests.exceptions.RequestException as exc:
                raise K8sError("cannot reach the Kubernetes API server %s: %s" % (self.conn.server, exc))
            # the server asks to come back (throttling, storage re-initializing after CRD changes): honour Retry-After
            if resp.status_code not in (429, 503) or attempt == self.retries:
                break
            try:
                delay = float(resp.headers.get("Retry-After", "1"))
            except ValueError:
                delay = 1.0
            resp.close()
            time.sleep(min(max(delay, 0.2), 5.0))
        if stream:
            if resp.status_code >= 400:
                raise self._error(method, path, resp)
            return resp
        if resp.status_code == 404 and ok_missing:
            return None
        if resp.status_code >= 400:
            raise self._error(method, path, resp)
        if not resp.content:
            return {}
        try:
            return resp.json()
        except ValueError:
            return {"raw": resp.text}

    def _error(self, method, path, resp):
        message = resp.text
        reason = None
        try:
            status = resp.json()
            message = status.get("message") or message
            reason = status.get("reason")
        except ValueError:
            pass
        cls = NotFound if resp.status_code == 404 else K8sError
        return cls("%s %s: %s %s" % (method, path, resp.status_code, message), status=resp.status_code, reason=reason, body=resp.text)

    # ------------------------------------------------------------------ discovery
    def server_version(self):
        return self.request("GET", "/version")

    def resource(self, api_version, kind):
        key = (api_version, kind)
        if key in self._resources:
            return self._resources[key]
        if api_version not in self._group_versions:
            group, version = split_api_version(api_version)
            path = "/api/%s" % version if not group else "/apis/%s/%s" % (group, version)
            listing = self.request("GET", path, ok_missing=True)
            self._group_versions[api_version] = listing
        listing = self._group_versions[api_version]
        if listing is None:
            raise K8sError("the API server %s does not serve %s (kind %s): install its CRDs first" % (self.conn.server, api_version, kind))
        found = None
        subresources = []
        for item in listing.get("resources", []):
            name = item.get("name", "")
            if "/" in name:
                if item.get("kind") == kind or name.split("/")[0] == (found.plural if found else None):
                    subresources.append(name)
                continue
            if item.get("kind") == kind and found is None:
                found = Resource(api_version, kind, name, item.get("namespaced", False))
        if found is None:
            raise K8sError("the API server %s serves %s but not kind %s: install its CRDs first" % (self.conn.server, api_version, kind))
        found.subresources = tuple(s.split("/", 1)[1] for s in subresources if s.split("/")[0] == found.plural)
        self._resources[key] = found
        return found

    def forget(self, api_version=None):
        """Drop cached discovery (after installing CRDs)."""
        if api_version:
            self._group_versions.pop(api_version, None)
            for key in [k for k in self._resources if k[0] == api_version]:
                del self._resources[key]
        else:
            self._group_versions.clear()
            self._resources.clear()

    def serves(self, api_version, kind):
        try:
            self.resource(api_version, kind)
            return True
        except K8sError:
            self.forget(api_version)
            return False

    # ------------------------------------------------------------------ verbs
    def get(self, api_version, kind, name, namespace=None):
        res = self.resource(api_version, kind)
        return self.request("GET", res.path(name, namespace), ok_missing=True)

    def list(self, api_version, kind, namespace=None, label_selector=None):
        res = self.resource(api_version, kind)
        params = {"labelSelector": label_selector} if label_selector else None
        return self.request("GET", res.path(None, namespace), params=params).get("items", [])

    def apply(self, obj, dry_run=False, force=True, field_manager=None):
        """Server-side apply of one object; returns the object as the server has it (or would)."""
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        name = (obj.get("metadata") or {}).get("name")
        if not api_version or not kind or not name:
            raise K8sError("cannot apply an object without apiVersion, kind and metadata.name: %s" % json.dumps(obj)[:200])
        res = self.resource(api_version, kind)
        namespace = obj["metadata"].get("namespace") if res.namespaced else None
        if res.namespaced and not namespace:
            namespace = "default"
        params = {"fieldManager": field_manager or self.field_manager, "force": "true" if force else "false"}
        if dry_run:
            params["dryRun"] = "All"
        return self.request("PATCH", res.path(name, namespace), body=json.dumps(obj), params=params,
                            content_type="application/apply-patch+yaml")

    def create(self, obj, dry_run=False):
        res = self.resource(obj["apiVersion"], obj["kind"])
        namespace = obj["metadata"].get("namespace") if res.namespaced else None
        params = {"dryRun": "All"} if dry_run else None
        return self.request("POST", res.path(None, namespace), body=obj, params=params)

    def patch_status(self, api_version, kind, name, namespace, status):
        res = self.resource(api_version, kind)
        return self.request("PATCH", res.path(name, namespace, "status"), body={"status": status},
                            content_type="application/merge-patch+json")

    def merge_patch(self, api_version, kind, name, namespace, patch):
        res = self.resource(api_version, kind)
        return self.request("PATCH", res.path(name, namespace), body=patch, content_type="application/merge-patch+json")

    def delete(self, api_version, kind, name, namespace=None, propagation="Background"):
        res = self.resource(api_version, kind)
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
        return self.request("DELETE", res.path(name, namespace), body=body, ok_missing=True)

    def watch(self, api_version, kind, namespace=None, resource_version=None, timeout_seconds=30, label_selector=None):
        """Yield (type, object) events until the server closes the watch (after timeout_seconds)."""
        res = self.resource(api_version, kind)
        params = {"watch": "true", "timeoutSeconds": str(int(max(1, timeout_seconds))), "allowWatchBookmarks": "true"}
        if resource_version:
            params["resourceVersion"] = resource_version
        if label_selector:
            params["labelSelector"] = label_selector
        resp = self.request("GET", res.path(None, namespace), params=params, stream=True, timeout=timeout_seconds + 10)
        try:
            for line in resp.iter_lines():
                if not line:
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                yield event.get("type"), event.get("object") or {}
        except requests.exceptions.RequestException:
            return
        finally:
            resp.close()


def wait_for(check, timeout, sleep=2, on_progress=None, clock=time.monotonic, sleeper=time.sleep):
    """Call check() until it returns (True, detail) or timeout seconds pass; returns (done, detail).

    on_progress(detail) is called whenever the detail changes, so callers report progress lines.
    """
    deadline = clock() + timeout
    last = None
    while True:
        done, detail = check()
        if detail != last and on_progress:
            on_progress(detail)
        last = detail
        if done:
            return True, detail
        if clock() >= deadline:
            return False, detail
        sleeper(min(sleep, max(0, deadline - clock())))
