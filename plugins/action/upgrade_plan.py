# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Action plugin of eksa.anywhere.upgrade_plan: validates and plans on the controller (it renders like capi_manifests)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import plan as capi_plan
from ansible_collections.eksa.anywhere.plugins.module_utils.capi import render as capi_render
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import state
from ansible_collections.eksa.anywhere.plugins.module_utils.spec import upgrade
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import SpecError, load_spec, normalize
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.running import RunningSpecError, read_running_objects

# the vSphere credentials only go into Secrets, which the plan does not compare
PLAN_CREDENTIALS = {'username': 'upgrade-plan', 'password': 'upgrade-plan'}

ARGUMENT_SPEC = capi_plan.ARGUMENT_SPEC


def _spec(value, what):
    if isinstance(value, dict) and isinstance(value.get('cluster'), dict) and 'provider' in value:
        return value
    if isinstance(value, dict) and isinstance(value.get('spec'), dict) and 'cluster' in value['spec']:
        return value['spec']
    if isinstance(value, (list, tuple)):
        return normalize(value)
    if isinstance(value, str) and value:
        return load_spec(data=value) if '\n' in value else load_spec(path=value)
    raise capi_render.RenderError('give the normalized spec (cluster_spec\'s result), a spec file or its objects', what)


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
        try:
            result.update(self._run(args))
        except SpecError as exc:
            result.update(failed=True, msg=to_native(exc), errors=[to_native(p) for p in getattr(exc, 'errors', [])])
        except capi_render.RenderError as exc:
            result.update(failed=True, msg=exc.message, field=exc.field)
        except (RunningSpecError, k8s_client.K8sError) as exc:
            result.update(failed=True, msg='cannot read the running cluster: %s' % to_native(exc))
        return result

    def _current(self, args, new_spec, client):
        if args.get('current') is not None:
            return _spec(args['current'], 'current'), 'current'
        if client is None:
            raise capi_render.RenderError('give the running cluster\'s spec (current) or the kubeconfig of its management '
                                          'cluster to read it from', 'current')
        meta = new_spec['cluster']['metadata']
        objects = read_running_objects(client, meta['name'], meta.get('namespace') or 'default')
        return normalize(objects, source='the running cluster'), 'cluster'

    @staticmethod
    def _previous(args, name, client):
        """The Cluster API objects the cluster runs with, and where they came from."""
        if args.get('previous') is not None:
            return capi_render.load_objects(args['previous']), 'previous'
        tried = []
        if client is not None:
            where = '%s/%s' % (args['state_namespace'], state.secret_name(name))
            stored = state.decode(client.get('v1', 'Secret', state.secret_name(name), args['state_namespace']))
            if stored.get('manifests'):
                return capi_render.objects_from_stored(stored['manifests'], 'Secret %s' % where), 'state %s' % where
            tried.append('Secret %s on the management cluster holds no manifests' % where)
        directory = capi_render.generated_dir(args.get('output_dir') or os.getcwd(), name)
        if not os.path.isdir(directory):
            tried.append('%s does not exist' % directory)
            raise capi_render.RenderError('%s: give previous (the Cluster API manifests the cluster was created or last '
                                          'upgraded with) or output_dir (the folder of the create)' % '; '.join(tried),
                                          'previous')
        return capi_render.load_objects(directory), 'output_dir %s' % directory

    def _run(self, args):
        new_spec = _spec(args['spec'], 'spec')
        name = new_spec['cluster']['metadata']['name']
        conn = client = None
        if args.get('kubeconfig') or args.get('host'):
            conn = k8s_client.connection_from_params(args)
            client = k8s_client.K8sClient(conn, timeout=args['timeout'])
        try:
            current_spec, current_from = self._current(args, new_spec, client)
            problems = upgrade.validate_upgrade(current_spec, new_spec)
            out = {'changed': False, 'cluster_name': name, 'current_from': current_from,
                   'problems': [p.as_dict() for p in problems]}
            if problems and args['fail_on_problems']:
                out.update(failed=True, msg=upgrade.format_problems(problems))
                return out
            current_objects, previous_from = self._previous(args, name, client)
        finally:
            if client is not None:
                client.close()
                conn.close()
        # the plan compares templates and counts: the Secrets (credentials) of a generated folder are never kept
        current_objects = [o for o in current_objects if o.get('kind') != 'Secret']
        if not any(o.get('kind') == 'KubeadmControlPlane' for o in current_objects):
            raise capi_render.RenderError('%s holds no KubeadmControlPlane: it is not the output of a create or upgrade'
                                          % previous_from, 'previous')
        new_objects = capi_render.render(new_spec, args['bundle'], vsphere_facts=args.get('vsphere_facts'),
                                         credentials=PLAN_CREDENTIALS, previous=current_objects,
                                         eksd=args.get('eksd_manifest'), timeout=args['timeout'])
        plan = capi_plan.upgrade_plan(current_spec, new_spec, current_objects, new_objects)
        out.update(plan=plan, lines=capi_plan.summary_lines(plan), upgrade_needed=plan['upgrade_needed'],
                   scale_only=plan['scale_only'], previous_from=previous_from, previous_objects=current_objects)
        return out
