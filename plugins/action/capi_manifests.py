# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Action plugin of eksa.anywhere.capi_manifests: renders on the controller (templates/capi/*.yaml.j2)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import render as capi_render
from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import FileError, cluster_lock
from ansible_collections.eksa.anywhere.plugins.module_utils.spec import context as cluster_context
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import (
    SpecError, is_valid_cluster_name, load_spec, normalize, proxy_credentials,
)


def _spec(value):
    if isinstance(value, dict) and isinstance(value.get('cluster'), dict) and 'provider' in value:
        return value
    if isinstance(value, dict) and isinstance(value.get('spec'), dict) and 'cluster' in value['spec']:
        return value['spec']  # the whole cluster_spec result
    if isinstance(value, (list, tuple)):
        return normalize(value)
    if isinstance(value, str):
        if '\n' in value:
            return load_spec(data=value)
        return load_spec(path=value)
    raise capi_render.RenderError('give the normalized spec (cluster_spec\'s result), a spec file or its objects', 'spec')


def resolve_credentials(args):
    """The options with EKS Anywhere's environment variables filled in where an option is not given, by the cluster
    context (spec/context.py, the one place reading credentials from the environment; the renderer reads none):
    vSphere credentials and the registry mirror's."""
    given = dict(args.get('credentials') or {})
    try:
        found = cluster_context.vsphere_credentials(given.get('username'), given.get('password'),
                                                    given.get('cp_username'), given.get('cp_password'))
    except ValueError as exc:  # a cloud provider user without a password
        raise capi_render.RenderError(str(exc), 'credentials.cp_password')
    creds = dict(given)
    for key in ('username', 'password', 'cp_username', 'cp_password'):
        creds[key] = found[key] or None
    registry = cluster_context.registry_credentials(args.get('registry_username'), args.get('registry_password'))
    return creds, registry


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(capi_render.ARGUMENT_SPEC)
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        try:
            dummy, args = self.validate_argument_spec(argument_spec=capi_render.ARGUMENT_SPEC)
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=to_native(exc.message if hasattr(exc, 'message') else exc))
            return result
        try:
            result.update(self._run(args))
        except SpecError as exc:
            result.update(failed=True, msg=to_native(exc), errors=[to_native(p) for p in getattr(exc, 'errors', [])])
        except capi_render.RenderError as exc:
            result.update(failed=True, msg=exc.message, field=exc.field)
        except FileError as exc:
            result.update(failed=True, msg='cannot write the manifests: %s' % exc.message, path=exc.path)
        except (IOError, OSError) as exc:
            result.update(failed=True, msg='cannot write the manifests: %s' % to_native(exc))
        return result

    def _run(self, args):
        spec = _spec(args['spec'])
        cluster_name = spec['cluster']['metadata']['name']
        if not is_valid_cluster_name(cluster_name):  # it becomes a folder name: never a path
            raise capi_render.RenderError('cluster name %r is invalid: it must start with a letter and hold only letters, digits '
                                          'and \'-\' (at most 35 characters)' % (cluster_name,), 'spec.cluster.metadata.name')
        output_dir = os.path.abspath(args.get('output_dir') or os.getcwd())
        directory = capi_render.generated_dir(output_dir, cluster_name)
        previous = args.get('previous')
        if previous is None and os.path.isdir(directory):
            previous = directory
        credentials, registry = resolve_credentials(args)
        objects = capi_render.render(spec, args['bundle'], vsphere_facts=args.get('vsphere_facts'),
                                     credentials=credentials, previous=previous, eksd=args.get('eksd_manifest'),
                                     timeout=args['timeout'], registry_credentials=registry)
        if self._task.check_mode:
            written = capi_render.write_manifests(objects, output_dir, cluster_name, check_mode=True,
                                                  redact=proxy_credentials(spec))
        else:
            # one run at a time writes a cluster's folder (after a successful render: nothing is written on error);
            # a concurrent run waits, then fails naming this one
            with cluster_lock(os.path.join(output_dir, cluster_name), root=output_dir, what='eksa.anywhere.capi_manifests'):
                written = capi_render.write_manifests(objects, output_dir, cluster_name, redact=proxy_credentials(spec))
        summary = capi_render.summarize(objects)
        out = {
            'changed': written['changed'],
            'path': written['path'],
            'files': written['files'],
            'changed_files': written['changed_files'],
            'kinds': summary['kinds'],
            'objects': summary['objects'],
            'names': capi_render.template_names(objects),
            'cluster_name': cluster_name,
            'namespace': capi_render.NAMESPACE,
        }
        if self._task.diff and written['changed_files']:
            out['diff'] = [{'before_header': path, 'after_header': path,
                            'before': written['before'].get(path, ''), 'after': written['after'][path]}
                           for path in written['changed_files'] if path in written['after']]
        return out
