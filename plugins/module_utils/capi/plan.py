# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""What an upgrade changes, computed from the Cluster API objects before and after (like ``eksctl anywhere upgrade plan``).

``upgrade_plan(current_spec, new_spec, current_objects, new_objects)`` takes the running cluster's normalized spec and
its Cluster API objects (the previous render) and the new spec and its render (``capi.render.render(...,
previous=current_objects)``, which keeps a template's name when its spec is the same and bumps its suffix when it
changed).  It returns a plain dict:

* ``changes``: the spec fields that differ (``{object, field, previous, new}``);
* ``templates``: the machine/bootstrap templates that get new names (``{kind, previous, new, used_by}``);
* ``control_plane``, ``etcd``, ``worker_groups[name]``: ``{action, replicas: [old, new], version: [old, new],
  replaced, added, removed, reasons}`` where ``action`` is ``none``, ``scale``, ``roll``, ``add`` or ``remove``;
* ``order``: the groups in the order an upgrade rolls them (control plane, then etcd, then worker groups);
* ``machines``: totals of machines replaced, added and removed; ``scale_only`` and ``upgrade_needed``.

A rolled group replaces its machines (new machine template or bootstrap config, or a new Kubernetes/etcd version; for
the control plane also any change of its kubeadm configuration); a scaled one only adds or removes machines.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec

__all__ = ['upgrade_plan', 'spec_changes', 'summary_lines', 'ACTIONS', 'ARGUMENT_SPEC']

# eksa.anywhere.upgrade_plan's options (the module and its action plugin)
ARGUMENT_SPEC = k8s_argument_spec(
    spec=dict(type='raw', required=True),
    current=dict(type='raw'),
    bundle=dict(type='raw', required=True),
    eksd_manifest=dict(type='str'),
    vsphere_facts=dict(type='dict'),
    previous=dict(type='raw'),
    output_dir=dict(type='path'),
    state_namespace=dict(type='str', default='eksa-anywhere'),
    fail_on_problems=dict(type='bool', default=True),
    timeout=dict(type='int', default=30),
)

ACTIONS = ('none', 'scale', 'roll', 'add', 'remove')


def _get(data, *path):
    cur = data
    for part in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _by_kind(objects, kind):
    return dict((o['metadata']['name'], o) for o in objects or []
                if isinstance(o, dict) and o.get('kind') == kind and isinstance(o.get('metadata'), dict))


def _one(objects, kind):
    found = list(_by_kind(objects, kind).values())
    return found[0] if found else None


def _flatten(value, prefix, out):
    if isinstance(value, dict) and value:
        for key in sorted(value):
            _flatten(value[key], '%s.%s' % (prefix, key) if prefix else key, out)
    else:
        out[prefix] = value
    return out


def _diff(kind, name, old, new, prefix):
    a, b = _flatten(old or {}, prefix, {}), _flatten(new or {}, prefix, {})
    return [{'object': '%s/%s' % (kind, name), 'field': key, 'previous': a.get(key), 'new': b.get(key)}
            for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)]


def spec_changes(current_spec, new_spec):
    """The fields of the EKS Anywhere objects that differ (worker node groups keyed by name)."""
    changes = []
    old_c, new_c = current_spec['cluster'], new_spec['cluster']
    name = new_c['metadata']['name']
    old_s = dict(old_c.get('spec') or {})
    new_s = dict(new_c.get('spec') or {})
    old_groups = dict((g.get('name'), g) for g in old_s.pop('workerNodeGroupConfigurations', None) or [])
    new_groups = dict((g.get('name'), g) for g in new_s.pop('workerNodeGroupConfigurations', None) or [])
    changes.extend(_diff('Cluster', name, old_s, new_s, 'spec'))
    for group in sorted(set(old_groups) | set(new_groups)):
        prefix = 'spec.workerNodeGroupConfigurations[name=%s]' % group
        if group not in old_groups:
            changes.append({'object': 'Cluster/%s' % name, 'field': prefix, 'previous': None, 'new': 'added'})
        elif group not in new_groups:
            changes.append({'object': 'Cluster/%s' % name, 'field': prefix, 'previous': 'present', 'new': 'removed'})
        else:
            changes.extend(_diff('Cluster', name, old_groups[group], new_groups[group], prefix))
    old_dc, new_dc = current_spec.get('datacenter') or {}, new_spec.get('datacenter') or {}
    if new_dc:
        changes.extend(_diff(new_dc.get('kind'), _get(new_dc, 'metadata', 'name'), old_dc.get('spec'), new_dc.get('spec'), 'spec'))
    old_mcs, new_mcs = current_spec.get('machine_configs') or {}, new_spec.get('machine_configs') or {}
    for mc_name in sorted(set(old_mcs) | set(new_mcs)):
        kind = (new_mcs.get(mc_name) or old_mcs.get(mc_name) or {}).get('kind', 'VSphereMachineConfig')
        if mc_name not in old_mcs:
            changes.append({'object': '%s/%s' % (kind, mc_name), 'field': 'spec', 'previous': None, 'new': 'added'})
        elif mc_name not in new_mcs:
            changes.append({'object': '%s/%s' % (kind, mc_name), 'field': 'spec', 'previous': 'present', 'new': 'removed'})
        else:
            changes.extend(_diff(kind, mc_name, old_mcs[mc_name].get('spec'), new_mcs[mc_name].get('spec'), 'spec'))
    return changes


def _counts(action, old, new):
    old, new = int(old or 0), int(new or 0)
    if action == 'roll':
        return min(old, new), max(0, new - old), max(0, old - new)
    if action == 'add':
        return 0, new, 0
    if action == 'remove':
        return 0, 0, old
    return 0, max(0, new - old), max(0, old - new)


def _group(action, replicas, version, reasons, templates=None):
    replaced, added, removed = _counts(action, replicas[0], replicas[1])
    return {'action': action, 'replicas': list(replicas), 'version': list(version), 'replaced': replaced,
            'added': added, 'removed': removed, 'reasons': reasons, 'templates': templates or {}}


def _decide(exists_old, exists_new, roll_reasons, replicas):
    if not exists_old:
        return 'add'
    if not exists_new:
        return 'remove'
    if roll_reasons:
        return 'roll'
    if replicas[0] != replicas[1]:
        return 'scale'
    return 'none'


def _control_plane(old, new, renamed):
    old_t = _get(old, 'spec', 'machineTemplate', 'spec', 'infrastructureRef', 'name')
    new_t = _get(new, 'spec', 'machineTemplate', 'spec', 'infrastructureRef', 'name')
    reasons = []
    if old and new:
        if old_t != new_t:
            reasons.append('machine template %s -> %s' % (old_t, new_t))
            renamed.append({'kind': _get(new, 'spec', 'machineTemplate', 'spec', 'infrastructureRef', 'kind'),
                            'previous': old_t, 'new': new_t, 'used_by': 'control plane'})
        if _get(old, 'spec', 'version') != _get(new, 'spec', 'version'):
            reasons.append('Kubernetes %s -> %s' % (_get(old, 'spec', 'version'), _get(new, 'spec', 'version')))
        if _get(old, 'spec', 'kubeadmConfigSpec') != _get(new, 'spec', 'kubeadmConfigSpec'):
            reasons.append('kubeadm configuration changed')
    replicas = (_get(old, 'spec', 'replicas'), _get(new, 'spec', 'replicas'))
    version = (_get(old, 'spec', 'version'), _get(new, 'spec', 'version'))
    action = _decide(old is not None, new is not None, reasons, replicas)
    return _group(action, replicas, version, reasons, {'machine_template': [old_t, new_t]})


def _etcd(old, new, renamed):
    if old is None and new is None:
        return None
    old_t = _get(old, 'spec', 'infrastructureTemplate', 'name')
    new_t = _get(new, 'spec', 'infrastructureTemplate', 'name')
    reasons = []
    if old and new:
        if old_t != new_t:
            reasons.append('machine template %s -> %s' % (old_t, new_t))
            renamed.append({'kind': _get(new, 'spec', 'infrastructureTemplate', 'kind'), 'previous': old_t,
                            'new': new_t, 'used_by': 'etcd'})
        old_v = _get(old, 'spec', 'etcdadmConfigSpec', 'cloudInitConfig', 'version')
        new_v = _get(new, 'spec', 'etcdadmConfigSpec', 'cloudInitConfig', 'version')
        if old_v != new_v:
            reasons.append('etcd %s -> %s' % (old_v, new_v))
        elif _get(old, 'spec', 'etcdadmConfigSpec') != _get(new, 'spec', 'etcdadmConfigSpec'):
            reasons.append('etcdadm configuration changed')
    replicas = (_get(old, 'spec', 'replicas'), _get(new, 'spec', 'replicas'))
    version = (_get(old, 'spec', 'etcdadmConfigSpec', 'cloudInitConfig', 'version'),
               _get(new, 'spec', 'etcdadmConfigSpec', 'cloudInitConfig', 'version'))
    return _group(_decide(old is not None, new is not None, reasons, replicas), replicas, version, reasons,
                  {'machine_template': [old_t, new_t]})


def _worker(old, new, renamed, md_name):
    reasons = []
    refs = {}
    for key, path in (('machine_template', ('infrastructureRef',)), ('config_template', ('bootstrap', 'configRef'))):
        old_ref = _get(old, 'spec', 'template', 'spec', *path) or {}
        new_ref = _get(new, 'spec', 'template', 'spec', *path) or {}
        refs[key] = [old_ref.get('name'), new_ref.get('name')]
        if old and new and old_ref.get('name') != new_ref.get('name'):
            reasons.append('%s %s -> %s' % (key.replace('_', ' '), old_ref.get('name'), new_ref.get('name')))
            renamed.append({'kind': new_ref.get('kind'), 'previous': old_ref.get('name'), 'new': new_ref.get('name'),
                            'used_by': 'worker group %s' % md_name})
    version = (_get(old, 'spec', 'template', 'spec', 'version'), _get(new, 'spec', 'template', 'spec', 'version'))
    if old and new and version[0] != version[1]:
        reasons.append('Kubernetes %s -> %s' % version)
    replicas = (_get(old, 'spec', 'replicas'), _get(new, 'spec', 'replicas'))
    return _group(_decide(old is not None, new is not None, reasons, replicas), replicas, version, reasons, refs)


def upgrade_plan(current_spec, new_spec, current_objects, new_objects):
    """The plan of upgrading (see the module docstring); changes nothing."""
    renamed = []
    plan = {'changes': spec_changes(current_spec, new_spec)}
    plan['control_plane'] = _control_plane(_one(current_objects, 'KubeadmControlPlane'),
                                           _one(new_objects, 'KubeadmControlPlane'), renamed)
    plan['etcd'] = _etcd(_one(current_objects, 'EtcdadmCluster'), _one(new_objects, 'EtcdadmCluster'), renamed)
    old_mds, new_mds = _by_kind(current_objects, 'MachineDeployment'), _by_kind(new_objects, 'MachineDeployment')
    groups = {}
    for md_name in sorted(set(old_mds) | set(new_mds)):
        groups[md_name] = _worker(old_mds.get(md_name), new_mds.get(md_name), renamed, md_name)
    plan['worker_groups'] = groups
    plan['templates'] = renamed
    order = [('control_plane', plan['control_plane'])]
    if plan['etcd'] is not None:
        order.append(('etcd', plan['etcd']))
    order.extend(('worker_group/%s' % n, g) for n, g in sorted(groups.items()))
    plan['order'] = [{'group': n, 'action': g['action']} for n, g in order if g['action'] != 'none']
    totals = {'replaced': 0, 'added': 0, 'removed': 0}
    for dummy, group in order:
        for key in totals:
            totals[key] += group[key]
    plan['machines'] = totals
    actions = set(g['action'] for dummy, g in order)
    plan['upgrade_needed'] = bool(plan['changes']) or actions != {'none'}
    plan['scale_only'] = plan['upgrade_needed'] and not renamed and 'roll' not in actions
    return plan


def summary_lines(plan):
    """Human lines of the plan (what ``eksctl anywhere upgrade plan cluster`` shows, and which machines roll)."""
    if not plan['upgrade_needed']:
        return ['No upgrade needed: the cluster already matches the spec']
    lines = []
    for change in plan['changes']:
        lines.append('%s: %s: %s -> %s' % (change['object'], change['field'], change['previous'], change['new']))
    for tpl in plan['templates']:
        lines.append('%s %s -> %s (%s)' % (tpl['kind'], tpl['previous'], tpl['new'], tpl['used_by']))
    for item in plan['order']:
        name = item['group']
        group = plan['etcd'] if name == 'etcd' else plan['control_plane'] if name == 'control_plane' \
            else plan['worker_groups'][name.split('/', 1)[1]]
        lines.append('%s: %s (replicas %s -> %s; %d replaced, %d added, %d removed)%s' % (
            name, item['action'], group['replicas'][0], group['replicas'][1], group['replaced'], group['added'],
            group['removed'], ': ' + '; '.join(group['reasons']) if group['reasons'] else ''))
    lines.append('machines: %(replaced)d replaced, %(added)d added, %(removed)d removed' % plan['machines'])
    return lines
