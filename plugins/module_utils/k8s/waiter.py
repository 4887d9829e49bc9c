# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""The one waiter: every wait of the collection (CRDs established, Deployments available, Cluster API readiness,
kind health, clusterctl move retries) goes through :func:`wait_until` or :func:`retry`.

The convention (modelled on kubernetes.core's ``module_utils/k8s/waiter.py``): a *check* returns ``(done, detail)``;
between two checks the waiter *blocks* on a watch of the objects concerned where the API offers one (so a change is
seen at once, not at the next poll) or else sleeps, growing from 0.2 s to ``sleep``; ``progress(detail)`` is called
whenever the detail changes; at the deadline :class:`WaitTimeout` says what was awaited, for how long, and the last
detail. Predicates for the kinds waited on are here too. Independent of AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError


class WaitTimeout(Exception):
    """The deadline passed: message names what was awaited, the timeout and the last detail."""

    def __init__(self, message, detail=None):
        super(WaitTimeout, self).__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self):
        return self.message


def wait_until(check, timeout, what, progress=None, block=None, sleep=2.0, clock=time.monotonic, sleeper=time.sleep):
    """Call check() until it returns (True, detail); return that detail.

    block(seconds), when given, returns as soon as something changes (a watch) or after seconds; without it the
    waiter sleeps 0.2 s, then twice as long each time up to ``sleep``. Raises WaitTimeout after ``timeout`` seconds.
    """
    deadline = clock() + timeout
    last = None
    pause = 0.2
    while True:
        done, detail = check()
        if progress and detail != last:
            progress(detail)
        last = detail
        if done:
            return detail
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout("timed out after %ss waiting for %s: %s" % (timeout, what, detail), detail)
        if block is not None:
            block(min(sleep, remaining))
        else:
            sleeper(min(pause, sleep, remaining))
            pause = min(pause * 2, sleep)


def watch_block(client, api_version, kind, namespace=None, label_selector=None, sleeper=time.sleep, clock=time.monotonic):
    """A block(seconds) for wait_until: returns at the first change of the objects (a watch from their current
    resourceVersion), or after seconds. When the watch cannot be opened it sleeps instead (a bounded poll)."""
    def block(seconds):
        start = clock()
        try:
            listing = client.list_full(api_version, kind, namespace=namespace, label_selector=label_selector, limit=1)
            version = (listing.get("metadata") or {}).get("resourceVersion")
            for event_type, dummy in client.watch(api_version, kind, namespace=namespace, resource_version=version,
                                                  timeout_seconds=max(1, int(seconds)), label_selector=label_selector):
                if event_type != "BOOKMARK":
                    return
        except K8sError:
            pass
        left = seconds - (clock() - start)
        if left > 0.05:
            sleeper(min(left, 0.5))
    return block


def retry(action, attempts, delay, what, retry_on=(Exception,), progress=None, sleeper=time.sleep):
    """Run action() up to attempts times, pausing delay seconds after a failure in retry_on; return its result
    (the last failure is raised). progress gets one line per failed attempt."""
    attempts = max(1, attempts)
    for attempt in range(1, attempts + 1):
        try:
            return action(attempt)
        except retry_on as exc:
            if attempt == attempts:
                raise
            if progress:
                progress("%s: attempt %d of %d failed (%s); again in %ss" % (what, attempt, attempts, exc, delay))
            sleeper(delay)
    return None  # pragma: no cover - the loop returns or raises


# ---------------------------------------------------------------------------------------------- predicates
def condition(obj, ctype):
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype:
            return cond
    return None


def is_true(obj, ctype):
    cond = condition(obj, ctype)
    return bool(cond) and cond.get("status") == "True"


def crd_established(crd):
    return crd is not None and is_true(crd, "Established")


def deployment_ready(dep):
    """Available, as kubernetes.core's waiter reads it: the controller saw the latest spec, every replica updated and
    available, none of an older ReplicaSet left, and the Available condition True."""
    if not dep:
        return False
    spec = dep.get("spec") or {}
    status = dep.get("status") or {}
    meta = dep.get("metadata") or {}
    want = spec.get("replicas", 1)
    if want is None:
        want = 1
    return ((status.get("observedGeneration") or 0) >= (meta.get("generation") or 0)
            and (status.get("updatedReplicas") or 0) >= want
            and (status.get("availableReplicas") or 0) >= want
            and (status.get("replicas") or 0) <= want
            and not status.get("unavailableReplicas")
            and is_true(dep, "Available"))
