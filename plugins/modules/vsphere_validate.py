#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: vsphere_validate
short_description: Run EKS Anywhere's vSphere preflight checks for a cluster spec
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Checks a vCenter against a normalized EKS Anywhere cluster spec the way C(eksctl anywhere validate create cluster)
    does for the vSphere provider, and prints EKS Anywhere's lines in its order (returned in RV(messages)).
  - Connection and trust (TLS verification on; the spec's C(insecure=true) turns it off with a warning; for a
    certificate the trust store does not verify, the spec's C(thumbprint) is required and pins the certificate;
    O(validate_certs) / E(VMWARE_VALIDATE_CERTS) count only where the spec has no thumbprint and says nothing of
    C(insecure)),
    authentication, datacenter, network, then per machine config (control plane, etcd, each worker node group)
    datastore, folder, resource pool, template (resolution, tags C(os:<osFamily>) and C(eksdRelease:<EKS-D release>),
    disk size, clone mode, Bottlerocket disk layout), user tag IDs, machine config networks, datastore free space,
    resource pool memory, the privileges of the vSphere user, and that the control plane endpoint IP is not in use.
  - Every failing check is reported at once, each with a remediation; the module then fails.
  - Uses one vSphere session and a handful of round trips whatever the number of machine configs (RV(round_trips)).
  - The only change it may make is the one EKS Anywhere makes while validating, creating a missing VM folder whose parent
    exists. In check mode it reports the folder would be created and changes nothing.
options:
  spec:
    description:
      - The normalized cluster spec, as returned in C(spec) by M(eksa.anywhere.cluster_spec).
    type: dict
    required: true
  bundle:
    description:
      - An EKS Anywhere Bundles manifest - a path, a C(file://) or C(https://) URL; the EKS-D release name of each
        Kubernetes version (C(spec.versionsBundles[].eksD.name)) gives the C(eksdRelease) tag the templates must carry.
      - In the create workflow the manifest is read once by M(eksa.anywhere.cluster_context), which passes
        O(eksd_releases) instead.
    type: str
  bundle_ca_path:
    description: A PEM CA bundle to trust when downloading O(bundle) over HTTPS.
    type: path
  eksd_releases:
    description:
      - The EKS-D release name per Kubernetes version (for example C(1.33) to C(kubernetes-1-33-eks-1)), as
        M(eksa.anywhere.cluster_context) returns it in RV(eksa.anywhere.cluster_context#module:eksd_releases), instead
        of O(bundle).
    type: dict
  eksd_release:
    description:
      - The EKS-D release name of the cluster's Kubernetes version (for example C(kubernetes-1-30-eks-20)), instead of
        O(bundle). Without any of O(bundle), O(eksd_releases) or this, the C(eksdRelease) tag is not checked (with a
        warning).
    type: str
  skip_validations:
    description:
      - Checks to skip, as EKS Anywhere's C(--skip-validations). C(vsphere-user-privilege) skips the privilege check.
    type: list
    elements: str
    choices: [vsphere-user-privilege]
    default: []
  cp_username:
    description:
      - A separate vSphere user for the cloud provider in the cluster, as EKS Anywhere's E(EKSA_VSPHERE_CP_USERNAME).
      - When set and different from O(username), that user logs in and must hold the read-only privileges on the root
        folder (C(<user> user vSphere privileges validated)). Skipped with the other privilege checks.
      - Falls back to E(EKSA_VSPHERE_CP_USERNAME).
    type: str
  cp_password:
    description: The password of O(cp_username); falls back to E(EKSA_VSPHERE_CP_PASSWORD).
    type: str
  skip_ip_check:
    description:
      - Do not check whether the control plane endpoint IP is in use (EKS Anywhere's C(--skip-ip-check)).
    type: bool
    default: false
  report_json:
    description: Write the report (every check) to this file as JSON, mode 0600.
    type: path
  report_junit:
    description: Write the report to this file as JUnit XML (one test case per check), mode 0600.
    type: path
extends_documentation_fragment:
  - eksa.anywhere.vsphere
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Predicts; a missing folder is reported as one that would be created.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - The server is O(hostname) when given, else the spec's C(server), else E(VMWARE_HOST).
  - The password is never logged or returned.
  - The control plane IP check opens a TCP connection to port 80 of the endpoint with a 500 ms timeout; a completed
    connection, C(connection refused) or C(connection reset) mean the address is in use, as in EKS Anywhere.
  - Tags are read with the vSphere Automation REST API (C(/rest) endpoints).
requirements:
  - pyvmomi
  - requests
  - PyYAML (for O(bundle))
seealso:
  - module: eksa.anywhere.cluster_spec
  - name: EKS Anywhere vSphere preparation
    description: What EKS Anywhere needs in vSphere.
    link: https://anywhere.eks.amazonaws.com/docs/getting-started/vsphere/vsphere-preparation/
"""

EXAMPLES = r"""
- name: Load the spec
  eksa.anywhere.cluster_spec:
    path: ./mgmt.yaml
  register: mgmt

- name: vSphere preflight (credentials from EKSA_VSPHERE_USERNAME / EKSA_VSPHERE_PASSWORD)
  eksa.anywhere.vsphere_validate:
    spec: "{{ mgmt.spec }}"
    bundle: ./bundles.yaml
    report_junit: ./preflight.xml
  register: preflight

- name: Show EKS Anywhere's lines
  ansible.builtin.debug:
    msg: "{{ preflight.messages }}"

- name: Validate against another server, without the privilege check
  eksa.anywhere.vsphere_validate:
    spec: "{{ mgmt.spec }}"
    hostname: vcenter.lab.example
    username: "{{ vsphere_user }}"
    password: "{{ vsphere_password }}"
    eksd_release: kubernetes-1-30-eks-20
    skip_validations: [vsphere-user-privilege]
"""

RETURN = r"""
messages:
  description: EKS Anywhere's lines, in order (C(✅ Connected to server) ... C(✅ Vsphere Provider setup is valid) or C(❌ Validation failed)
    followed by every failure and its remediation).
  returned: always
  type: list
  elements: str
  sample: ["✅ Connected to server", "✅ Authenticated to vSphere", "✅ Datacenter validated"]
report:
  description: Every check run, in order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The check.
      type: str
      sample: datastore
    object:
      description: What was checked (a machine config, a path, the user).
      type: str
      sample: VSphereMachineConfig/mgmt-cp
    status:
      description: C(passed), C(changed), C(failed), C(warning) or C(skipped).
      type: str
    message:
      description: The outcome.
      type: str
    remediation:
      description: What to do about a failure.
      type: str
resolved:
  description: The resolved facts the cluster's manifests need.
  returned: when connected
  type: dict
  contains:
    server:
      description: The vCenter host.
      type: str
    port:
      description: The vCenter port.
      type: int
    thumbprint:
      description: SHA-1 thumbprint of vCenter's certificate.
      type: str
    datacenter:
      description: Full path of the datacenter.
      type: str
      sample: /SDDC-Datacenter
    network:
      description: Full path of the network.
      type: str
    machine_configs:
      description: Per machine config name, C(datastore), C(folder), C(resource_pool), C(template) (full paths),
        C(networks), C(clone_mode), C(disk_gib) (effective), C(template_disk_gib), C(template_has_snapshot),
        C(folder_created).
      type: dict
round_trips:
  description: Requests made to vCenter (C(soap), C(rest), C(total)) and TLS probes (C(tls)).
  returned: always
  type: dict
  sample: {soap: 8, rest: 5, tls: 2, total: 13}
created_folders:
  description: VM folders created (never in check mode).
  returned: always
  type: list
  elements: str
"""

import json
import traceback
from xml.sax.saxutils import escape, quoteattr

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import write_private
from ansible_collections.eksa.anywhere.plugins.module_utils.spec import context as cluster_context
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import proxy_credentials
from ansible_collections.eksa.anywhere.plugins.module_utils.vsphere.args import vsphere_argument_spec, vsphere_cp_argument_spec
from ansible_collections.eksa.anywhere.plugins.module_utils.vsphere import checks, trust
from ansible_collections.eksa.anywhere.plugins.module_utils.vsphere.client import (
    HAS_PYVMOMI, HAS_REQUESTS, PYVMOMI_IMPORT_ERROR, REQUESTS_IMPORT_ERROR, VSphereClient, split_server,
)

HAS_YAML = cluster_context.HAS_YAML


def argument_spec():
    spec = vsphere_argument_spec(
        spec=dict(type='dict', required=True),
        bundle=dict(type='str'),
        bundle_ca_path=dict(type='path'),
        eksd_releases=dict(type='dict'),
        eksd_release=dict(type='str'),
        skip_validations=dict(type='list', elements='str', default=[], choices=[checks.SKIP_PRIVILEGES]),
        skip_ip_check=dict(type='bool', default=False),
        report_json=dict(type='path'),
        report_junit=dict(type='path'),
    )
    spec.update(vsphere_cp_argument_spec())
    # The spec's server comes before VMWARE_HOST (see the doc fragment): resolved in server().
    spec['hostname'] = dict((k, v) for k, v in spec['hostname'].items() if k != 'fallback')
    return spec


def server(params, dc_spec):
    value = cluster_context.vsphere_hostname(params.get('hostname'), dc_spec.get('server'))
    if not value:
        return None, None
    return split_server(value, params.get('port') or 443)


def junit(report):
    failures = sum(1 for c in report if c['status'] == 'failed')
    skipped = sum(1 for c in report if c['status'] == 'skipped')
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<testsuites><testsuite name="eksa.anywhere.vsphere_validate" tests="%d" failures="%d" skipped="%d">'
             % (len(report), failures, skipped)]
    for c in report:
        name = '%s %s' % (c['name'], c['object']) if c['object'] else c['name']
        lines.append('<testcase classname=%s name=%s>' % (quoteattr('preflight.' + c['name']), quoteattr(name)))
        if c['status'] == 'failed':
            lines.append('<failure message=%s>%s</failure>' % (quoteattr(c['message']), escape(c['remediation'] or '')))
        elif c['status'] == 'skipped':
            lines.append('<skipped message=%s/>' % quoteattr(c['message']))
        else:
            lines.append('<system-out>%s</system-out>' % escape('%s: %s' % (c['status'], c['message'])))
        lines.append('</testcase>')
    lines.append('</testsuite></testsuites>')
    return '\n'.join(lines) + '\n'


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[('bundle', 'eksd_release', 'eksd_releases')])
    if not HAS_PYVMOMI:
        module.fail_json(msg=missing_required_lib('pyvmomi'), exception=PYVMOMI_IMPORT_ERROR)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    p = module.params
    # credentials in the spec's proxy URLs are masked in every output of this module (invocation, results, errors)
    module.no_log_values.update(proxy_credentials(p['spec'] or {}))
    spec = p['spec']
    dc_spec = (spec.get('datacenter') or {}).get('spec') if isinstance(spec.get('datacenter'), dict) else None
    if spec.get('provider') != 'vsphere' or not isinstance(dc_spec, dict):
        module.fail_json(msg='spec must be the normalized spec of a vSphere cluster (the spec returned by eksa.anywhere.cluster_spec); '
                         'got provider %s' % spec.get('provider'))
    options = {'skip_validations': p['skip_validations'], 'skip_ip_check': p['skip_ip_check'],
               'eksd_release': p['eksd_release']}
    if p['eksd_releases']:
        options['eksd_releases'] = dict((str(k), str(v)) for k, v in p['eksd_releases'].items())
    elif p['bundle']:
        if not HAS_YAML:
            module.fail_json(msg=missing_required_lib('PyYAML'))
        try:
            options['eksd_releases'] = cluster_context.resolve_release(
                p['bundle'], [], ca_path=p['bundle_ca_path'], timeout=p['connect_timeout'])['eksd_releases']
        except cluster_context.BundleError as exc:
            module.fail_json(msg='cannot read the bundle: %s' % exc)
        if not options['eksd_releases']:
            module.fail_json(msg='the bundle %s lists no spec.versionsBundles[].eksD.name' % p['bundle'])
    try:
        host, port = server(p, dc_spec)
    except ValueError as exc:
        module.fail_json(msg='invalid vCenter address (spec.server of the VSphereDatacenterConfig, the hostname option or '
                         'VMWARE_HOST): %s' % exc)
    if not host:
        module.fail_json(msg='no vCenter server: set spec.server of the VSphereDatacenterConfig, the hostname option or VMWARE_HOST')
    try:
        insecure, trust_warnings = trust.decide(dc_spec, spec.get('datacenter_stated'), p['validate_certs'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    for warning in trust_warnings:
        module.warn(warning)
    client = VSphereClient(host, port, username=p['username'], password=p['password'], insecure=insecure,
                           thumbprint=dc_spec.get('thumbprint') or '', ca_path=p['ca_path'], timeout=p['connect_timeout'])
    if p['cp_username'] and p['cp_username'] != p['username']:
        if not p['cp_password']:
            module.fail_json(msg='the cloud provider user %s has no password: set cp_password or EKSA_VSPHERE_CP_PASSWORD '
                             '(or unset EKSA_VSPHERE_CP_USERNAME to use the main user)' % p['cp_username'])
        options['cp_credentials'] = (p['cp_username'], p['cp_password'])
    try:
        result = checks.run(spec, client, options, check_mode=module.check_mode)
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(msg=u'\u274c Validation failed: unexpected error: %s' % (exc,), messages=[],
                         exception=traceback.format_exc())
    for warning in result['warnings']:
        module.warn(warning)
    for path, writer in ((p['report_json'], lambda r: json.dumps(r, indent=1, sort_keys=True) + '\n'),
                         (p['report_junit'], lambda r: junit(r['report']))):
        if path:
            try:
                write_private(path, writer(result))
            except (IOError, OSError) as exc:
                module.fail_json(msg='cannot write the report %s: %s' % (path, exc), **result)
    for line in result['messages']:
        module.log(line)
    result.pop('warnings')
    failed = result.pop('failed')
    if failed:
        failures = [c for c in result['report'] if c['status'] == 'failed']
        module.fail_json(msg=u'\u274c Validation failed: %s' % '; '.join(c['message'] for c in failures), **result)
    module.exit_json(msg=u'\u2705 Vsphere Provider setup is valid', **result)


if __name__ == '__main__':
    main()
