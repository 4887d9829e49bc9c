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
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import SpecError, load_spec, normalize


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
        except (IOError, OSError) as exc:
            result.update(failed=True, msg='cannot write the manifests: %s' % to_native(exc))
        return result

    def _run(self, args):
        spec = _spec(args['spec'])
        cluster_name = spec['cluster']['metadata']['name']
        output_dir = args.get('output_dir') or os.getcwd()
        directory = capi_render.generated_dir(output_dir, cluster_name)
        previous = args.get('previous')
        if previous is None and os.path.isdir(directory):
            previous = directory
        objects = capi_render.render(spec, args['bundle'], vsphere_facts=args.get('vsphere_facts'),
                                     credentials=args.get('credentials'), previous=previous,
                                     eksd=args.get('eksd_manifest'), timeout=args['timeout'])
        written = capi_render.write_manifests(objects, output_dir, cluster_name, check_mode=self._task.check_mode)
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
