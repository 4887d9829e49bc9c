"""Benchmark: render the Cluster API manifests of a spec with N worker groups (default 100).

    .venv/bin/python bench/manifests.py [--groups 100] [--repeat 5]

Prints the best and median wall time of render() + dump (what capi_manifests does per run, without the disk).
"""
import argparse
import copy
import os
import statistics
import sys
import tempfile
import time

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
SHARED = os.environ.get('EKSA_SHARED_DIR') or os.path.abspath(os.path.join(ROOT, '..', 'shared'))


def _importable():
    top = tempfile.mkdtemp(prefix='eksa-bench-')
    os.makedirs(os.path.join(top, 'ansible_collections', 'eksa'))
    os.symlink(ROOT, os.path.join(top, 'ansible_collections', 'eksa', 'anywhere'))
    sys.path.insert(0, top)


def spec_docs(groups):
    with open(os.path.join(SHARED, 'eksa-reference', 'vsphere', 'cluster_main.yaml')) as handle:
        text = handle.read().replace('    node:\n      cidrMaskSize: 8\n', '')
    docs = [d for d in yaml.safe_load_all(text) if d]
    wn = next(d for d in docs if d['metadata']['name'] == 'test-wn')
    docs[0]['spec']['workerNodeGroupConfigurations'] = []
    for i in range(groups):
        mc = copy.deepcopy(wn)
        mc['metadata']['name'] = 'test-wn-%d' % i
        mc['spec']['numCPUs'] = 2 + i % 4
        docs.append(mc)
        docs[0]['spec']['workerNodeGroupConfigurations'].append({
            'name': 'md-%d' % i, 'count': 1 + i % 3, 'labels': {'group': str(i)},
            'machineGroupRef': {'kind': 'VSphereMachineConfig', 'name': mc['metadata']['name']}})
    return docs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--groups', type=int, default=100)
    parser.add_argument('--repeat', type=int, default=5)
    opts = parser.parse_args()
    _importable()
    from ansible_collections.eksa.anywhere.plugins.module_utils.capi import render as capi_render
    from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import load_spec
    spec = load_spec(data=spec_docs(opts.groups))
    bundle = os.path.join(SHARED, 'eksa-reference', 'fixtures', 'bundles.yaml')
    creds = {'username': 'bench', 'password': 'bench'}
    release = capi_render.resolve_bundle(bundle, spec['cluster']['spec']['kubernetesVersion'])
    times, total = [], []
    for dummy in range(opts.repeat):
        start = time.perf_counter()
        objects = capi_render.render(spec, release, credentials=creds)
        texts = capi_render.manifest_texts(objects, 'test')
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        capi_render.render(spec, bundle, credentials=creds)
        total.append(time.perf_counter() - start)
    print('worker groups: %d, objects: %d, YAML bytes: %d' % (opts.groups, len(objects), sum(len(t) for t in texts.values())))
    print('render + dump (bundle resolved once): best %.3f s, median %.3f s' % (min(times), statistics.median(times)))
    print('render() alone, incl. reading the Bundles + EKS-D manifests: best %.3f s, median %.3f s'
          % (min(total), statistics.median(total)))


if __name__ == '__main__':
    main()
