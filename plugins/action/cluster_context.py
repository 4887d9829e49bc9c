# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Action plugin of eksa.anywhere.cluster_context: resolves the cluster context once, on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.eksa.anywhere.plugins.module_utils.spec import context as cluster_context
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import SpecError, load_spec, proxy_credentials

display = Display()

ARGUMENT_SPEC = {
    'spec': {'type': 'raw', 'required': True},
    'bundle': {'type': 'str', 'required': True},
    'bundle_ca_path': {'type': 'path'},
    'bundle_validate_certs': {'type': 'bool', 'default': True},
    'output_dir': {'type': 'path'},
    'bootstrap_kubeconfig': {'type': 'path'},
    'vsphere_username': {'type': 'str'},
    'vsphere_password': {'type': 'str', 'no_log': True},
    'vsphere_cp_username': {'type': 'str'},
    'vsphere_cp_password': {'type': 'str', 'no_log': True},
    'timeout': {'type': 'int', 'default': 30},
}


def _spec(value, warnings):
    if isinstance(value, dict) and isinstance(value.get('cluster'), dict) and 'provider' in value:
        return value  # already normalized (cluster_spec's result)
    if isinstance(value, dict) and isinstance(value.get('spec'), dict) and 'cluster' in value['spec']:
        return value['spec']  # cluster_spec's whole result
    if isinstance(value, str) and value:
        return load_spec(path=value, warnings=warnings) if '\n' not in value else load_spec(data=value, warnings=warnings)
    if isinstance(value, (list, dict)) and value:
        return load_spec(data=value, warnings=warnings)
    raise AnsibleActionFail('spec: give the cluster spec file, its objects, or the normalized spec of eksa.anywhere.cluster_spec')


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        try:
            dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=to_native(exc.message if hasattr(exc, 'message') else exc))
            return result
        warnings = []
        try:
            result.update(self._run(args, warnings))
        except SpecError as exc:
            warnings += exc.warnings
            result.update(failed=True, msg=to_native(exc), errors=[e.to_dict() for e in exc.errors])
        except cluster_context.BundleError as exc:
            result.update(failed=True, msg=exc.message, field=exc.field)
        except ValueError as exc:  # credentials
            result.update(failed=True, msg=to_native(exc))
        except (IOError, OSError) as exc:
            result.update(failed=True, msg='cannot write the downloaded manifests: %s' % to_native(exc))
        if warnings:
            result['warnings'] = [to_native(w) for w in warnings]
        return result

    def _run(self, args, warnings):
        spec = _spec(args['spec'], warnings)
        cluster = spec['cluster']
        name = cluster['metadata']['name']
        paths = cluster_context.layout(args.get('output_dir') or os.getcwd(), name, args.get('bootstrap_kubeconfig'))
        versions = cluster_context.kubernetes_versions(spec)
        # the downloads go below the output folder: no link followed in <name>/generated/bundle (common/files.py)
        resolved = cluster_context.resolve_release(args['bundle'], versions, cache_dir=paths['bundle_cache'],
                                                   root=paths['output_dir'], ca_path=args.get('bundle_ca_path'),
                                                   validate_certs=args['bundle_validate_certs'], timeout=args['timeout'],
                                                   check_mode=self._task.check_mode)
        out = {
            'changed': False,
            'spec': spec,
            'cluster_name': name,
            'provider': spec['provider'],
            'kubernetes_version': versions[0],
            'external_etcd': cluster['spec'].get('externalEtcdConfiguration') is not None,
            'paths': paths,
            'versions_bundle': resolved['versions_bundles'][versions[0]],
            'release': resolved['releases'][versions[0]],
            'versions_bundles': resolved['versions_bundles'],
            'releases': resolved['releases'],
            'eksd_releases': resolved['eksd_releases'],
            'kube_versions': resolved['kube_versions'],
            'downloaded': resolved['downloaded'],
            'vsphere': {},
        }
        secrets = []
        if spec['provider'] == 'vsphere':
            creds = cluster_context.vsphere_credentials(args.get('vsphere_username'), args.get('vsphere_password'),
                                                        args.get('vsphere_cp_username'), args.get('vsphere_cp_password'))
            dc_spec = (spec.get('datacenter') or {}).get('spec') or {}
            creds['hostname'] = cluster_context.vsphere_hostname(None, dc_spec.get('server')) or ''
            out['vsphere'] = creds
            secrets = [what for what, key in (('vSphere passwords', 'password'), ('vSphere passwords', 'cp_password'))
                       if creds[key]]
        if proxy_credentials(spec):
            secrets.append('proxy credentials')
        if secrets:
            # the context carries the vSphere passwords or the spec's proxy credentials: its result is never shown,
            # at any verbosity (the registered value keeps them for the phases that follow)
            out['_ansible_no_log'] = True
            display.v('cluster context: %s cluster %s, Kubernetes %s, bundle %s, vSphere user from %s (result hidden: '
                      'it holds %s)' % (spec['provider'], name, ', '.join(versions), resolved['source'],
                                        out['vsphere'].get('source') or 'nowhere', ' and '.join(sorted(set(secrets)))))
        return out
