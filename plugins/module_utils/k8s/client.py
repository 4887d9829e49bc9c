# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""The Kubernetes client of the collection, on the ``kubernetes`` Python client.

Configuration comes from ``kubernetes.config`` (kubeconfig files, merged ``KUBECONFIG``, dicts, contexts, exec
credential plugins, auth-providers the library supports, in-cluster service accounts); every request goes through
``kubernetes.client.ApiClient`` and the dynamic client (discovery, get/list, server-side apply, watch).

What this facade adds: typed errors (:class:`K8sError`, :class:`NotFound`) whose messages name files, entries and
fields but never quote secret-bearing text; a kubeconfig whose credentials cannot be used fails naming the user
entry (never an anonymous request); ``insecure-skip-tls-verify`` read as the Go client reads it; object names
checked and every path component escaped before any request; counted round trips; the temporary certificate and
key files the library writes kept in a private folder (0700, files 0600) that ``close()`` removes.

Independent of AnsibleModule, so modules, action plugins, tests and benchmarks share it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import re
import shutil
import tempfile
import time
import warnings

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    from urllib import quote

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - reported by the modules
    HAS_YAML = False

try:
    import urllib3
    from kubernetes import client as k8s_api
    from kubernetes.client.rest import ApiException
    from kubernetes.config import kube_config as _kube_config
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.exec_provider import ExecProvider
    from kubernetes.config.incluster_config import InClusterConfigLoader
    from kubernetes.dynamic import DynamicClient
    from kubernetes.dynamic.discovery import LazyDiscoverer
    from kubernetes.dynamic.exceptions import DynamicApiError, ResourceNotFoundError, ResourceNotUniqueError
    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None
    _LoaderBase = _kube_config.KubeConfigLoader
except ImportError as _exc:  # pragma: no cover - reported by the modules
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = _exc
    _LoaderBase = object

from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import write_private
from ansible_collections.eksa.anywhere.plugins.module_utils.common.yaml_support import SAFE_LOADER, yaml_error_message

FIELD_MANAGER = "eksa-anywhere"
CORE_GROUPS = ("", "v1")
SERVICE_TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"
SERVICE_CA_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
# the user-entry keys that carry a credential: one of them present and none usable is an error, never anonymous
CREDENTIAL_KEYS = ("token", "tokenFile", "client-certificate", "client-certificate-data", "client-key", "client-key-data",
                   "exec", "auth-provider", "username", "password")
# kinds whose names are path segments rather than DNS subdomains (RBAC's "system:..." names)
PATH_SEGMENT_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
_DNS1123_SUBDOMAIN = re.compile(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_DNS1123_LABEL = re.compile(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_PRINTABLE = re.compile(r"\A[\x21-\x7e]+\Z")


class K8sError(Exception):
    """An API, configuration or connection error, with the HTTP status when there is one."""

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


# ---------------------------------------------------------------------------------------------- names and paths
def check_name(name, kind=None, what="name"):
    """Refuse (K8sError) a name the API server would refuse, before it reaches a request path."""
    if not isinstance(name, str) or not name:
        raise K8sError("%s %s: a %s must be a non-empty string" % (kind or "object", what, what))
    if len(name) > 253:
        raise K8sError("%s %s %r...: longer than 253 characters" % (kind or "object", what, name[:40]))
    if name in (".", "..") or "/" in name or "%" in name or not _PRINTABLE.match(name):
        raise K8sError("%s %s %r is not a valid Kubernetes name: no '/', '%%', spaces or control characters, not '.' or '..'"
                       % (kind or "object", what, name))
    if kind not in PATH_SEGMENT_KINDS and not _DNS1123_SUBDOMAIN.match(name):
        raise K8sError("%s %s %r is not a valid Kubernetes name: lower-case letters, digits, '-' and '.', starting and"
                       " ending with a letter or digit (RFC 1123 subdomain)" % (kind or "object", what, name))
    return name


def check_namespace(namespace):
    if not isinstance(namespace, str) or len(namespace) > 63 or not _DNS1123_LABEL.match(namespace):
        raise K8sError("namespace %r is not a valid Kubernetes namespace name: lower-case letters, digits and '-',"
                       " at most 63, starting and ending with a letter or digit (RFC 1123 label)" % (namespace,))
    return namespace


def _segment(value):
    return quote(value, safe="")


# ---------------------------------------------------------------------------------------------- configuration
def _go_bool(value, where, field):
    """A kubeconfig boolean as client-go reads it: YAML booleans (and null); a string or number is an error."""
    if value is None or isinstance(value, bool):
        return bool(value)
    raise K8sError("%s: %s must be true or false, not %s %r (kubectl refuses this kubeconfig too)"
                   % (where, field, type(value).__name__, value if not isinstance(value, str) else value[:20]))


def _read_kubeconfig_file(path):
    try:
        with open(path, "rb") as handle:
            data = yaml.load(handle.read(), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:  # it holds keys and tokens: say where, never quote the line
        raise K8sError("kubeconfig %s is not valid YAML: %s" % (path, yaml_error_message(exc)[0]))
    except (IOError, OSError) as exc:
        raise K8sError("cannot read kubeconfig %s: %s" % (path, exc.strerror or exc))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise K8sError("%s is not a kubeconfig (a mapping with clusters, users and contexts)" % path)
    return data


_PATH_FIELDS = {"clusters": ("certificate-authority",), "users": ("client-certificate", "client-key", "tokenFile")}


def _absolutize(section, entry, base_dir):
    """Relative file references of one entry resolved against its own file's folder (as client-go does)."""
    body = dict(entry.get(section[:-1]) or {})
    for key in _PATH_FIELDS.get(section, ()):
        if isinstance(body.get(key), str) and body[key] and not os.path.isabs(body[key]):
            body[key] = os.path.join(base_dir, body[key])
    exec_conf = body.get("exec")
    if section == "users" and isinstance(exec_conf, dict):
        command = exec_conf.get("command")
        if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
            body["exec"] = dict(exec_conf, command=os.path.join(base_dir, command))
    out = dict(entry)
    out[section[:-1]] = body
    return out


def merge_kubeconfigs(paths):
    """One kubeconfig from several files, with client-go's rules: the first file to set a name (or current-context) wins."""
    merged = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    seen = {"clusters": set(), "users": set(), "contexts": set()}
    found = []
    for path in paths:
        path = os.path.expanduser(path)
        if not os.path.exists(path):
            continue
        found.append(path)
        data = _read_kubeconfig_file(path)
        base_dir = os.path.dirname(os.path.abspath(path))
        if data.get("current-context") and not merged.get("current-context"):
            merged["current-context"] = data["current-context"]
        for section in ("clusters", "users", "contexts"):
            items = data.get(section) or []
            if not isinstance(items, list):
                raise K8sError("kubeconfig %s: %s must be a list" % (path, section))
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    raise K8sError("kubeconfig %s: an entry of %s has no name" % (path, section))
                if item["name"] in seen[section]:
                    continue
                seen[section].add(item["name"])
                merged[section].append(_absolutize(section, item, base_dir))
    return merged, found


def _named(data, section, name, where):
    for item in data.get(section) or []:
        if isinstance(item, dict) and item.get("name") == name:
            return item
    raise K8sError("%s has no %s named %r" % (where, section[:-1], name))


class _Loader(_LoaderBase):
    """kubernetes.config's loader, except that a failing exec plugin is an error naming the user entry.

    (The library logs the failure and goes on without credentials: every request would be anonymous.)
    """

    user_name = None

    def _load_from_exec_plugin(self):
        if "exec" not in self._user:
            return None
        where = "user %r" % self.user_name
        exec_conf = self._user["exec"]
        command = exec_conf.safe_get("command") if hasattr(exec_conf, "safe_get") else None
        try:
            status = ExecProvider(exec_conf, self._get_base_path(self._cluster.path), self._cluster).run()
        except (IOError, OSError) as exc:
            raise K8sError("%s: cannot run its exec credential plugin %r: %s: install it or fix users[].user.exec.command"
                           % (where, command, exc.strerror or exc))
        except ConfigException as exc:
            raise K8sError("%s: its exec credential plugin %r failed: %s" % (where, command, _first_line(exc)))
        if not isinstance(status, dict):
            raise K8sError("%s: its exec credential plugin %r printed no ExecCredential status" % (where, command))
        if status.get("token"):
            self.token = "Bearer %s" % status["token"]
        elif status.get("clientCertificateData") and status.get("clientKeyData"):
            directory = self._temp_file_path
            self.cert_file = write_private_file(directory, "exec-client.crt", status["clientCertificateData"])
            self.key_file = write_private_file(directory, "exec-client.key", status["clientKeyData"])
        else:
            raise K8sError("%s: its exec credential plugin %r returned neither a token nor a client certificate and key"
                           % (where, command))
        if status.get("expirationTimestamp"):
            self.expiry = _kube_config.parse_rfc3339(status["expirationTimestamp"])
        return True


class _own_temp_files:
    """The library shares the temporary files it writes between loaders (by content): give this loader its own.

    Its files then live only in the connection's private folder, which close() removes; another connection's
    close() cannot remove a file this one still uses.
    """

    def __enter__(self):
        self.cache = getattr(_kube_config, "_temp_files", None)
        self.saved = dict(self.cache) if isinstance(self.cache, dict) else None
        if self.saved is not None:
            self.cache.clear()

    def __exit__(self, *exc):
        if self.saved is not None:
            self.cache.clear()
            self.cache.update(self.saved)


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else exc.__class__.__name__


class Connection:
    """Where and how to reach one API server: a ``kubernetes.client.Configuration`` and its private files."""

    def __init__(self, configuration, private_dir=None, source="", warnings_=None):
        self.configuration = configuration
        self._private_dir = private_dir
        self.source = source
        self.warnings = list(warnings_ or [])

    @property
    def server(self):
        return (self.configuration.host or "").rstrip("/")

    @property
    def verify(self):
        return bool(self.configuration.verify_ssl)

    @property
    def token(self):
        value = (self.configuration.api_key or {}).get("BearerToken") or ""
        # "Bearer <token>" from kubeconfigs, "bearer <token>" from the library's in-cluster loader
        return value[len("Bearer "):] if value[:len("Bearer ")].lower() == "bearer " else (value or None)

    def private_dir(self):
        """The connection's private folder (0700), made on first use, removed by close()."""
        if not self._private_dir:
            self._private_dir = _private_dir()
        return self._private_dir

    def close(self):
        """Remove the private files (certificates and keys written for the library)."""
        directory, self._private_dir = self._private_dir, None
        if directory and os.path.isdir(directory):
            shutil.rmtree(directory, ignore_errors=True)

    def kubeconfig_dict(self, name="eksa-anywhere"):
        """A self-contained kubeconfig for this connection (data inlined), e.g. for the CLI tools."""
        conf = self.configuration
        cluster = {"server": self.server}
        if not conf.verify_ssl:
            cluster["insecure-skip-tls-verify"] = True
        elif conf.ssl_ca_cert:
            cluster["certificate-authority-data"] = _b64_file(conf.ssl_ca_cert)
        if getattr(conf, "tls_server_name", None):
            cluster["tls-server-name"] = conf.tls_server_name
        if getattr(conf, "proxy", None):
            cluster["proxy-url"] = conf.proxy
        user = {}
        if conf.cert_file:
            user["client-certificate-data"] = _b64_file(conf.cert_file)
        if conf.key_file:
            user["client-key-data"] = _b64_file(conf.key_file)
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


def _require():
    if not HAS_KUBERNETES:
        raise K8sError("the Python library kubernetes is required: %s" % KUBERNETES_IMPORT_ERROR)


def _new_configuration():
    """A fresh Configuration: HTTPS_PROXY/NO_PROXY of the environment apply unless proxy-url or the options say
    otherwise, as with client-go."""
    return k8s_api.Configuration()


def default_kubeconfig_paths(environ=None):
    environ = os.environ if environ is None else environ
    value = environ.get("KUBECONFIG", "")
    paths = [p for p in value.split(os.pathsep) if p]
    return paths or [os.path.expanduser("~/.kube/config")]


def load_kubeconfig(path=None, context=None, data=None, environ=None):
    """A Connection from a kubeconfig: a path (``a:b`` merged), a dict (data), or KUBECONFIG / ~/.kube/config.

    Raises K8sError naming the file and entry when it cannot be used; the library's temporary files go to a
    private folder that Connection.close() removes.
    """
    _require()
    if data is not None:
        if not isinstance(data, dict):
            raise K8sError("the kubeconfig given as a dict is not a mapping with clusters, users and contexts")
        merged = {}
        for key, value in data.items():
            merged[key] = value
        for section in ("clusters", "users", "contexts"):
            merged[section] = [_absolutize(section, item, os.getcwd()) if isinstance(item, dict) else item
                               for item in data.get(section) or []]
        where = "the kubeconfig given as a dict"
    else:
        paths = path.split(os.pathsep) if isinstance(path, str) and path else default_kubeconfig_paths(environ)
        merged, found = merge_kubeconfigs(paths)
        if not found:
            raise K8sError("kubeconfig %s does not exist: give the path of a kubeconfig file (kubeconfig option or"
                           " K8S_AUTH_KUBECONFIG)" % os.pathsep.join(paths))
        where = "kubeconfig %s" % os.pathsep.join(found)
    return _connection_from_dict(merged, context, where)


def _connection_from_dict(data, context, where):
    context_name = context or data.get("current-context")
    if not context_name:
        raise K8sError("%s has no current-context: give the context to use" % where)
    ctx = _named(data, "contexts", context_name, where).get("context") or {}
    if not isinstance(ctx, dict) or not ctx.get("cluster"):
        raise K8sError("%s: context %r names no cluster" % (where, context_name))
    cluster = _named(data, "clusters", ctx["cluster"], where).get("cluster") or {}
    user_name = ctx.get("user")
    user = (_named(data, "users", user_name, where).get("user") or {}) if user_name else {}
    if not isinstance(cluster, dict) or not cluster.get("server"):
        raise K8sError("%s: cluster %r of context %r has no server" % (where, ctx["cluster"], context_name))
    insecure = _go_bool(cluster.get("insecure-skip-tls-verify"), "%s: cluster %r" % (where, ctx["cluster"]),
                        "insecure-skip-tls-verify")
    data = dict(data)
    data["clusters"] = [dict(c, cluster=dict(c.get("cluster") or {}, **{"insecure-skip-tls-verify": insecure}))
                        if isinstance(c, dict) and c.get("name") == ctx["cluster"] else c for c in data.get("clusters") or []]
    warnings_ = []
    if insecure:
        warnings_.append("%s: cluster %r turns TLS verification off (insecure-skip-tls-verify): the API server's identity"
                         " is not checked" % (where, ctx["cluster"]))
    private = _private_dir()
    conf = _new_configuration()
    try:
        loader = _Loader(config_dict=data, active_context=context_name, config_base_path="", temp_file_path=private)
        loader.user_name = user_name
        with _own_temp_files():
            loader.load_and_set(conf)
    except K8sError:
        shutil.rmtree(private, ignore_errors=True)
        raise
    except (ConfigException, TypeError, ValueError, KeyError, IOError, OSError) as exc:
        shutil.rmtree(private, ignore_errors=True)
        raise K8sError("%s: cannot use context %r: %s" % (where, context_name, _first_line(exc)))
    if isinstance(user, dict) and any(user.get(k) for k in CREDENTIAL_KEYS):
        has_token = bool((conf.api_key or {}).get("BearerToken"))
        if not has_token and not conf.cert_file:
            shutil.rmtree(private, ignore_errors=True)
            what = ", ".join(k for k in CREDENTIAL_KEYS if user.get(k))
            raise K8sError("%s: user %r has credentials (%s) that the Python kubernetes client cannot use (an"
                           " auth-provider it does not support?): refusing to send anonymous requests" % (where, user_name, what))
    return Connection(conf, private_dir=private, source=where, warnings_=warnings_)


def in_cluster_connection(token_file=None, ca_file=None, environ=None):
    """A Connection from the pod's service account (KUBERNETES_SERVICE_HOST/PORT, token and CA files)."""
    _require()
    conf = _new_configuration()
    token_file = token_file or SERVICE_TOKEN_FILE
    ca_file = ca_file or SERVICE_CA_FILE
    try:
        InClusterConfigLoader(token_filename=token_file, cert_filename=ca_file,
                              environ=os.environ if environ is None else environ).load_and_set(conf)
    except ConfigException as exc:
        raise K8sError("in-cluster configuration (service account %s, CA %s): %s" % (token_file, ca_file, _first_line(exc)))
    return Connection(conf, source="the in-cluster service account")


def in_cluster_kubeconfig(name="in-cluster", token_file=None, ca_file=None, environ=None):
    """A self-contained kubeconfig (dict) for the pod's service account: server from KUBERNETES_SERVICE_HOST/PORT,
    the CA and the token inlined, for tools that need a kubeconfig file (clusterctl). K8sError when not in a pod."""
    conn = in_cluster_connection(token_file, ca_file, environ)
    try:
        config = conn.kubeconfig_dict(name)
    finally:
        conn.close()
    user = config["users"][0]["user"]
    if user.get("token"):
        user["token"] = user["token"].strip()  # the file's trailing newline is no part of the token
    return config


def _in_cluster_available(environ, token_file=None):
    return bool(environ.get("KUBERNETES_SERVICE_HOST") and environ.get("KUBERNETES_SERVICE_PORT")
                and os.path.isfile(token_file or SERVICE_TOKEN_FILE))


ENV_OPTIONS = (
    ("kubeconfig", "K8S_AUTH_KUBECONFIG"),
    ("context", "K8S_AUTH_CONTEXT"),
    ("host", "K8S_AUTH_HOST"),
    ("api_key", "K8S_AUTH_API_KEY"),
    ("validate_certs", "K8S_AUTH_VERIFY_SSL"),
    ("ca_cert", "K8S_AUTH_SSL_CA_CERT"),
    ("client_cert", "K8S_AUTH_CERT_FILE"),
    ("client_key", "K8S_AUTH_KEY_FILE"),
    ("proxy", "K8S_AUTH_PROXY"),
    ("no_proxy", "K8S_AUTH_NO_PROXY"),
)
_HOST_OPTIONS = ("host", "api_key", "ca_cert", "client_cert", "client_key")


def _env_bool(value, name):
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "y", "t"):
        return True
    if text in ("0", "false", "no", "off", "n", "f", ""):
        return False
    raise K8sError("%s=%r is not a boolean: use true or false" % (name, value[:20]))


def resolve_auth(params, environ=None):
    """The auth options to use: the task's, completed from K8S_AUTH_* variables of the environment.

    A kubeconfig or context given with the task wins over the environment's host/token/certificates: those
    variables (what an AWX Kubernetes credential exports) apply only when the task names no kubeconfig or context.
    """
    environ = os.environ if environ is None else environ
    given = dict((k, v) for k, v in (params or {}).items() if v is not None)
    explicit_kubeconfig = bool(given.get("kubeconfig") or given.get("context"))
    out = dict(given)
    for option, variable in ENV_OPTIONS:
        if option in out or not environ.get(variable):
            continue
        if explicit_kubeconfig and option in _HOST_OPTIONS + ("kubeconfig", "context"):
            continue
        if given.get("host") and option in _HOST_OPTIONS + ("kubeconfig", "context"):
            continue  # a host given with the task: the environment's kubeconfig or credentials are not what it meant
        value = environ[variable]
        out[option] = _env_bool(value, variable) if option == "validate_certs" else value
    return out


def connection_from_params(params, environ=None, token_file=None, ca_file=None):
    """A Connection from the eksa.anywhere.k8s_auth options (see k8s.args.K8S_AUTH_ARG_SPEC).

    Order: the task's kubeconfig/context (path, ``a:b`` list or dict); else host and credentials; else the pod's
    service account when running in a cluster; else KUBECONFIG / ~/.kube/config. Options given with the task
    (host, api_key, certificates, validate_certs, proxy) then override what the kubeconfig says.
    """
    _require()
    environ = os.environ if environ is None else environ
    auth = resolve_auth(params, environ)
    kubeconfig = auth.get("kubeconfig")
    if isinstance(kubeconfig, dict):
        conn = load_kubeconfig(data=kubeconfig, context=auth.get("context"))
    elif kubeconfig or auth.get("context"):
        conn = load_kubeconfig(os.path.expanduser(kubeconfig) if kubeconfig else None, auth.get("context"), environ=environ)
    elif auth.get("host"):
        conf = _new_configuration()
        conf.host = auth["host"].rstrip("/")
        conn = Connection(conf, source="host %s" % conf.host)
    elif _in_cluster_available(environ, token_file):
        conn = in_cluster_connection(token_file, ca_file, environ)
    else:
        conn = load_kubeconfig(None, None, environ=environ)
    conf = conn.configuration
    if auth.get("host") and (kubeconfig or auth.get("context")):
        conf.host = auth["host"].rstrip("/")
    if auth.get("api_key"):
        conf.api_key["BearerToken"] = "Bearer %s" % auth["api_key"]
    for option, attribute in (("ca_cert", "ssl_ca_cert"), ("client_cert", "cert_file"), ("client_key", "key_file")):
        if auth.get(option):
            setattr(conf, attribute, os.path.expanduser(auth[option]))
    if auth.get("validate_certs") is False:
        conf.verify_ssl = False
        conn.warnings.append("validate_certs is false: the Kubernetes API server's certificate is not verified")
    if auth.get("proxy"):
        conf.proxy = auth["proxy"]
    if auth.get("no_proxy"):
        conf.no_proxy = auth["no_proxy"]
    if not conf.host:
        conn.close()
        raise K8sError("no API server to talk to: give kubeconfig, or host with api_key or client_cert/client_key")
    return conn


def split_api_version(api_version):
    if "/" in api_version:
        group, version = api_version.split("/", 1)
        return group, version
    return "", api_version


class Resource:
    """A served kind: where its objects live. Paths are built from escaped components only."""

    def __init__(self, api_version, kind, plural, namespaced, subresources=()):
        self.api_version = api_version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
        self.subresources = tuple(subresources)

    def path(self, name=None, namespace=None, subresource=None):
        group, version = split_api_version(self.api_version)
        base = "/api/%s" % _segment(version) if not group else "/apis/%s/%s" % (_segment(group), _segment(version))
        if self.namespaced and namespace:
            base += "/namespaces/%s" % _segment(check_namespace(namespace))
        base += "/" + _segment(self.plural)
        if name:
            base += "/" + _segment(check_name(name, self.kind))
            if subresource:
                base += "/" + _segment(subresource)
        return base


if HAS_KUBERNETES:
    class _CountingApiClient(k8s_api.ApiClient):
        """ApiClient counting every HTTP request; 429/503 answers are retried as the server asks (Retry-After)."""

        round_trips = 0
        retries = 10
        sleeper = staticmethod(time.sleep)

        def call_api(self, method, url, header_params=None, body=None, post_params=None, _request_timeout=None):
            attempt = 0
            while True:
                self.round_trips += 1
                response = super(_CountingApiClient, self).call_api(method, url, header_params=header_params, body=body,
                                                                    post_params=post_params, _request_timeout=_request_timeout)
                if response.status not in (429, 503) or attempt >= self.retries:
                    return response
                attempt += 1
                try:
                    delay = float(response.getheader("Retry-After") or 1)
                except (TypeError, ValueError):
                    delay = 1.0
                response.read()
                self.sleeper(min(max(delay, 0.2), 5.0))

    class _Discoverer(LazyDiscoverer):
        """The library's lazy discovery (one request per group version, cached in memory and in a private file).

        The server's version is not fetched up front (one round trip per client saved): server_version() asks.
        """

        def _load_server_info(self):
            return None
else:  # pragma: no cover
    _CountingApiClient = _Discoverer = None


class K8sClient:
    """A client of one API server on the kubernetes library. ``round_trips`` counts HTTP requests."""

    def __init__(self, connection, timeout=30, field_manager=FIELD_MANAGER, retries=10):
        _require()
        self.conn = connection
        self.timeout = timeout
        self.field_manager = field_manager
        self._resources = {}
        self.api = _CountingApiClient(configuration=connection.configuration)
        self.api.retries = retries
        self.api.user_agent = "eksa.anywhere"
        self._dynamic = None
        if not connection.verify:
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)  # the caller warns once

    @property
    def round_trips(self):
        return self.api.round_trips

    @property
    def dynamic(self):
        """The library's DynamicClient; discovery cached for this client's life (in the connection's private folder)."""
        if self._dynamic is None:
            cache = os.path.join(self.conn.private_dir(), "discovery.json")
            self._dynamic = self._call("GET", "/apis", lambda: DynamicClient(self.api, cache_file=cache, discoverer=_Discoverer))
        return self._dynamic

    def close(self):
        try:
            self.api.close()
        except Exception:  # pylint: disable=broad-except  # closing pools never fails a task
            pass

    # ------------------------------------------------------------------ errors
    def _call(self, method, path, func):
        try:
            return func()
        except K8sError:
            raise
        except DynamicApiError as exc:
            raise self._api_error(method, path, exc.status, exc.reason, getattr(exc, "body", None))
        except ApiException as exc:
            raise self._api_error(method, path, exc.status, exc.reason, exc.body)
        except ConfigException as exc:
            raise K8sError("credentials for %s: %s" % (self.conn.server, _first_line(exc)))
        except urllib3.exceptions.SSLError as exc:
            raise K8sError("TLS error talking to %s: %s (check the kubeconfig's certificate-authority, or validate_certs)"
                           % (self.conn.server, _first_line(exc)))
        except (urllib3.exceptions.HTTPError, IOError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            if isinstance(reason, urllib3.exceptions.SSLError) or "SSL" in reason.__class__.__name__:
                raise K8sError("TLS error talking to %s: %s (check the kubeconfig's certificate-authority, or validate_certs)"
                               % (self.conn.server, _first_line(reason)))
            raise K8sError("cannot reach the Kubernetes API server %s: %s" % (self.conn.server, _first_line(reason)))

    def _api_error(self, method, path, status, reason, body):
        message = body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        message = body or reason or ""
        try:
            parsed = json.loads(body) if body else {}
            message = parsed.get("message") or message
            reason = parsed.get("reason") or reason
        except (TypeError, ValueError):
            pass
        cls = NotFound if status == 404 else K8sError
        return cls("%s %s: %s %s" % (method.upper(), path, status, message), status=status, reason=reason, body=body)

    def _dyn_request(self, method, path, ok_missing=False, **params):
        params.setdefault("_request_timeout", self.timeout)

        def do():
            resp = self.dynamic.request(method, path, serialize=False, **params)
            return resp.data
        try:
            raw = self._call(method, path, do)
        except NotFound:
            if ok_missing:
                return None
            raise
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            return {"raw": raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw}

    # ------------------------------------------------------------------ raw
    def request(self, method, path, body=None, params=None, content_type="application/json", timeout=None, ok_missing=False):
        """Any request (path built by the caller from Resource.path or constants); JSON answers as dicts, text as {'raw': text}."""
        if not path.startswith("/") or ".." in path.split("/"):
            raise K8sError("refusing request path %r: build it with Resource.path" % (path,))
        headers = {"Accept": "application/json, */*", "Content-Type": content_type}
        query = [(k, str(v)) for k, v in sorted((params or {}).items())]
        if isinstance(body, str):
            body = body.encode("utf-8")
        if isinstance(body, bytes):
            try:
                body = json.loads(body)  # the library serializes structured bodies itself
            except ValueError:
                pass

        def do():
            serialized = self.api.param_serialize(method.upper(), path, query_params=query, header_params=headers,
                                                  body=body, auth_settings=["BearerToken"])
            response = self.api.call_api(*serialized, _request_timeout=timeout or self.timeout)
            data = response.read()
            if not 200 <= response.status <= 299:
                raise ApiException(status=response.status, reason=response.reason, body=data)
            return data
        try:
            raw = self._call(method, path, do)
        except NotFound:
            if ok_missing:
                return None
            raise
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            return {"raw": raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw}

    # ------------------------------------------------------------------ discovery
    def server_version(self):
        return self.request("GET", "/version")

    def resource(self, api_version, kind):
        key = (api_version, kind)
        if key in self._resources:
            return self._resources[key]

        def find():
            try:
                return self._library_resource(api_version, kind)
            except ResourceNotFoundError:
                return None
            except ResourceNotUniqueError:
                return None
        found = self._call("GET", "discovery of %s" % api_version, find)
        if found is None:
            raise K8sError("the API server %s does not serve %s (kind %s): install its CRDs first" % (self.conn.server, api_version, kind))
        res = Resource(api_version, kind, found.name, bool(found.namespaced), tuple(sorted((found.subresources or {}).keys())))
        self._resources[key] = res
        return res

    def _library_resource(self, api_version, kind):
        """The dynamic client's Resource, searched in its own group only (not every group serving that version)."""
        group, version = split_api_version(api_version)
        return self.dynamic.resources.get(prefix="apis" if group else "api", group=group, api_version=version, kind=kind)

    def forget(self, api_version=None):
        """Drop cached discovery (after installing CRDs)."""
        if api_version:
            for key in [k for k in self._resources if k[0] == api_version]:
                del self._resources[key]
        else:
            self._resources.clear()
        if self._dynamic is not None:
            self._call("GET", "/apis", self._dynamic.resources.invalidate_cache)

    def serves(self, api_version, kind):
        try:
            self.resource(api_version, kind)
            return True
        except NotFound:
            return False
        except K8sError as exc:
            if exc.status is not None:
                raise
            return False

    # ------------------------------------------------------------------ verbs
    def get(self, api_version, kind, name, namespace=None):
        res = self.resource(api_version, kind)
        return self._dyn_request("get", res.path(name, namespace), ok_missing=True)

    def list(self, api_version, kind, namespace=None, label_selector=None, limit=None):
        return self.list_full(api_version, kind, namespace, label_selector, limit).get("items") or []

    def list_full(self, api_version, kind, namespace=None, label_selector=None, limit=None):
        """The List object (items and metadata.resourceVersion, where a watch can start)."""
        res = self.resource(api_version, kind)
        return self._dyn_request("get", res.path(None, namespace), label_selector=label_selector, limit=limit)

    def apply(self, obj, dry_run=False, force=True, field_manager=None):
        """Server-side apply of one object; returns the object as the server has it (or would)."""
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        name = (obj.get("metadata") or {}).get("name")
        if not api_version or not kind or not name:
            raise K8sError("cannot apply an object without apiVersion, kind and metadata.name (%s %s)"
                           % (kind or "kind?", name or "name?"))
        check_name(name, kind)
        res = self.resource(api_version, kind)
        namespace = obj["metadata"].get("namespace") if res.namespaced else None
        if res.namespaced and not namespace:
            namespace = "default"
        return self._dyn_request("patch", res.path(name, namespace), body=obj, content_type="application/apply-patch+yaml",
                                 field_manager=field_manager or self.field_manager, force_conflicts=bool(force),
                                 dry_run="All" if dry_run else None)

    def create(self, obj, dry_run=False):
        res = self.resource(obj["apiVersion"], obj["kind"])
        check_name((obj.get("metadata") or {}).get("name"), obj["kind"])
        namespace = obj["metadata"].get("namespace") if res.namespaced else None
        return self._dyn_request("post", res.path(None, namespace), body=obj, dry_run="All" if dry_run else None)

    def patch_status(self, api_version, kind, name, namespace, status):
        res = self.resource(api_version, kind)
        return self._dyn_request("patch", res.path(name, namespace, "status"), body={"status": status},
                                 content_type="application/merge-patch+json")

    def merge_patch(self, api_version, kind, name, namespace, patch):
        res = self.resource(api_version, kind)
        return self._dyn_request("patch", res.path(name, namespace), body=patch, content_type="application/merge-patch+json")

    def delete(self, api_version, kind, name, namespace=None, propagation="Background"):
        res = self.resource(api_version, kind)
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
        return self._dyn_request("delete", res.path(name, namespace), body=body, ok_missing=True)

    def watch(self, api_version, kind, namespace=None, resource_version=None, timeout_seconds=30, label_selector=None,
              field_selector=None):
        """Yield (type, object) events until the server closes the watch (after timeout_seconds)."""
        res = self.resource(api_version, kind)
        if namespace:
            check_namespace(namespace)
        found = self._call("GET", "discovery of %s" % api_version,
                           lambda: self._library_resource(api_version, kind))
        events = self._call("GET", res.path(None, namespace), lambda: iter(self.dynamic.watch(
            found, namespace=namespace, resource_version=resource_version, timeout=max(1, int(timeout_seconds)),
            label_selector=label_selector, field_selector=field_selector, allow_watch_bookmarks=True)))
        while True:
            try:
                event = self._call("GET", res.path(None, namespace), lambda: next(events, None))
            except K8sError as exc:
                if exc.status == 410:  # the resourceVersion is too old: the caller lists again
                    return
                raise
            if event is None:
                return
            yield event.get("type"), event.get("raw_object") or {}
