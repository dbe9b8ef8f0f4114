# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Scenarios of the in-process benchmarks; each returns data for the JSON.

Where two things are compared, their runs alternate (A B, B A, A B, ...)
in the same process, and the medians are reported. The request counts
per client are in :mod:`benchmarks.inprocess.request_counts`.
"""

import cProfile
import json
import os
import pstats
import time

from benchmarks import common
from benchmarks.inprocess import bench as testbed
from benchmarks import templates

_PATCH_HEADERS = {
    'Content-Type': 'application/openstack-images-v2.1-json-patch'}


# 1. In place against replacement, per image size -------------------------

def in_place_vs_replacement(bench, sizes_mib, reps, n_props=10):
    """Update one property in place, or replace the image, per size."""
    results = []
    for size_mib in sizes_mib:
        data = testbed.payload(size_mib * testbed.MIB)
        urls = [bench.image_url(0, data), bench.image_url(0, data)]
        state = {'url': urls[0], 'props': common.props(n_props),
                 'round': 0}
        tmpl = templates.one_image(state['props'])
        wall0 = time.perf_counter()
        stk = bench.create_stack(tmpl, state['url'])
        create_s = time.perf_counter() - wall0

        def in_place():
            state['round'] += 1
            new = dict(state['props'])
            new[common.key(0)] = 'v%d' % state['round']
            before = stk['image'].resource_id
            wall0 = time.perf_counter()
            bench.update_stack(stk, templates.one_image(new), state['url'])
            wall = time.perf_counter() - wall0
            if stk['image'].resource_id != before:
                common.fail('an in-place update replaced the image')
            state['props'] = new
            return wall

        def replacement():
            url = urls[1] if state['url'] == urls[0] else urls[0]
            before = stk['image'].resource_id
            wall0 = time.perf_counter()
            bench.update_stack(stk, templates.one_image(state['props']), url)
            wall = time.perf_counter() - wall0
            if stk['image'].resource_id == before:
                common.fail('a location change kept the image')
            state['url'] = url
            return wall

        runs = common.alternate([('in_place', in_place),
                                 ('replacement', replacement)], reps)
        if bench.live_props(stk['image'].resource_id) != state['props']:
            common.fail('the image does not have the properties of the '
                        'template')
        bench.delete_stack(stk)
        in_place_s = testbed.summary(runs['in_place'])
        replacement_s = testbed.summary(runs['replacement'])
        results.append({
            'size_mib': size_mib,
            'create_s': create_s,
            'in_place': in_place_s,
            'replacement': replacement_s,
            'ratio': testbed.ratio(in_place_s['median_s'],
                                   replacement_s['median_s']),
        })
    return {'n_properties': n_props, 'reps': reps, 'sizes': results}


# 2. Scaling with the number of properties ---------------------------------

def _glanceclient_variants(bench, n):
    """Client calls that set or change properties, one sample each."""
    images = bench.client.images
    http = bench.client.http_client
    many = common.props(n)
    out = {}
    created = []

    def new_image():
        image = images.create(name='bench-scale', disk_format='raw',
                              container_format='bare')
        created.append(image.id)
        return image.id

    def sample(name, fn):
        out[name], value = bench.measure_requests(fn)
        return value

    def create_with_props():
        image = images.create(name='bench-scale', disk_format='raw',
                              container_format='bare', **many)
        created.append(image.id)
        return image.id

    def post_model():
        # The body validated once, sent through glanceclient's HTTP
        # client: what images.create does, without a validation per key.
        body = images.model(name='bench-scale', disk_format='raw',
                            container_format='bare', **many)
        _resp, image = http.post('/v2/images', data=body)
        created.append(image['id'])
        return image['id']

    full = sample('images.create with N keys', create_with_props)
    sample('POST of a model built once (N keys)', post_model)
    image_id = new_image()
    sample('images.update setting N keys',
           lambda: images.update(image_id, **many))
    image_id = new_image()
    ops = [{'op': 'add', 'path': '/%s' % k, 'value': v}
           for k, v in sorted(many.items())]
    sample('PATCH with N add ops',
           lambda: http.patch('/v2/images/%s' % image_id,
                              headers=_PATCH_HEADERS, data=json.dumps(ops)))
    sample('images.update of 1 key (N-key image)',
           lambda: images.update(full, **{common.key(0): 'changed'}))
    one = [{'op': 'add', 'path': '/%s' % common.key(0), 'value': 'again'}]
    sample('PATCH with 1 op (N-key image)',
           lambda: http.patch('/v2/images/%s' % full,
                              headers=_PATCH_HEADERS, data=json.dumps(one)))
    if bench.live_props(full)[common.key(0)] != 'again':
        common.fail('the one-op PATCH was not applied')
    for image_id in created:
        images.delete(image_id)
    return out


def _heat_scaling(bench, n, url):
    stk_box = []

    def create():
        stk_box.append(bench.create_stack(
            templates.one_image(common.props(n)), url))

    def update_one():
        new = common.props(n)
        new[common.key(0)] = 'changed'
        bench.update_stack(stk_box[0], templates.one_image(new), url)

    out = {}
    for name, fn in (('stack create', create),
                     ('stack update of 1 key', update_one)):
        out[name], _r = bench.measure_requests(fn)
    if len(bench.live_props(stk_box[0]['image'].resource_id)) != n:
        common.fail('the image does not have %d properties' % n)
    bench.delete_stack(stk_box[0])
    return out


def _profile(fn, top=8):
    """cProfile ``fn``; the functions with the most own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        fn()
    finally:
        profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, func), (cc, nc, tt, ct, _callers) in (
            stats.stats.items()):
        where = _short_path(filename)
        rows.append({'function': '%s:%s' % (where, func), 'calls': nc,
                     'own_s': tt, 'cumulative_s': ct})
    rows.sort(key=lambda r: r['own_s'], reverse=True)
    validate = [r for r in rows
                if r['function'].endswith('warlock/model.py:validate')]
    return {
        'total_s': stats.total_tt,
        'top_own_time': rows[:top],
        'warlock_validate': validate[0] if validate else None,
    }


def _short_path(filename):
    marker = 'site-packages' + os.sep
    if marker in filename:
        return filename.split(marker, 1)[1]
    return os.path.basename(filename)


def scaling(bench, ns, reps, profile=True):
    url = bench.image_url(64 * 1024)
    heat_runs = dict((n, []) for n in ns)
    client_runs = dict((n, []) for n in ns)
    for rep in range(reps):
        order = ns if rep % 2 == 0 else list(reversed(ns))
        for n in order:
            heat_runs[n].append(_heat_scaling(bench, n, url))
            client_runs[n].append(_glanceclient_variants(bench, n))
    rows = []
    for n in ns:
        row = {'n': n, 'through_heat': {}, 'glanceclient': {}}
        for group, runs in (('through_heat', heat_runs[n]),
                            ('glanceclient', client_runs[n])):
            for name in runs[0]:
                samples = [run[name] for run in runs]
                row[group][name] = testbed.summary(samples)
                if 'requests' in samples[0]:
                    row[group][name]['requests'] = samples[0]['requests']
        rows.append(row)
    result = {'reps': reps, 'rows': rows}
    if profile:
        n = max(ns)
        images = bench.client.images
        image = images.create(name='bench-profile', disk_format='raw',
                              container_format='bare')
        result['profile'] = {
            'n': n,
            'images.update setting N keys': _profile(
                lambda: images.update(image.id, **common.props(n))),
        }
        images.delete(image.id)
    return result


# 3. A stack of many images -------------------------------------------------

#: The updates of the stack of many images, in the order they alternate.
FLEET_SIDES = ('in_place', 'in_place_unchained', 'replacement')


def fleet(bench, count, size_mib, reps, n_props=10):
    """Change every image of a stack at once: in place or by replacement."""
    data = testbed.payload(size_mib * testbed.MIB)
    urls = [bench.image_url(0, data), bench.image_url(0, data)]
    state = {'url': urls[0], 'round': 0, 'value': 'v0'}

    def tmpl(value, chained=True):
        # Chained, one image at a time: the harness's sqlite-backed Glance
        # fails concurrent imports ("database is locked").
        return templates.images(count, common.props(n_props, value),
                                'bench-fleet',
                                'chain' if chained else 'side_by_side')

    def ids(stk):
        return [stk['image%02d' % i].resource_id for i in range(count)]

    wall0 = time.perf_counter()
    stk = bench.create_stack(tmpl('v0'), state['url'])
    create_s = time.perf_counter() - wall0

    def measured(fn):
        sample, _result = bench.measure_requests(fn)
        return sample

    def in_place(chained=True):
        state['round'] += 1
        value = 'v%d' % state['round']
        before = ids(stk)
        sample = measured(lambda: bench.update_stack(
            stk, tmpl(value, chained), state['url']))
        if ids(stk) != before:
            common.fail('an in-place update replaced images')
        state['value'] = value
        if not chained:
            # Back to the chain (no Glance request), so that a later
            # replacement goes one image at a time.
            bench.update_stack(stk, tmpl(value), state['url'])
        return sample

    def replacement():
        url = urls[1] if state['url'] == urls[0] else urls[0]
        before = set(ids(stk))
        sample = measured(
            lambda: bench.update_stack(stk, tmpl(state['value']), url))
        if before & set(ids(stk)):
            common.fail('a location change kept some images')
        state['url'] = url
        return sample

    # In place, the images can also be updated side by side (no import
    # runs): the same update without the depends_on chain.
    fns = {'in_place': in_place,
           'in_place_unchained': lambda: in_place(False),
           'replacement': replacement}
    runs = common.alternate([(side, fns[side]) for side in FLEET_SIDES],
                            reps)
    for image_id in ids(stk):
        if bench.live_props(image_id) != common.props(n_props,
                                                      state['value']):
            common.fail('image %s has stale properties' % image_id)
    bench.delete_stack(stk)
    out = {
        'images': count, 'size_mib': size_mib, 'n_properties': n_props,
        'reps': reps, 'create_s': create_s,
    }
    for side in FLEET_SIDES:
        samples = runs[side]
        out[side] = testbed.summary(samples)
        out[side]['median_s'] = out[side]['wall_s']
        out[side]['runs_s'] = [s['wall_s'] for s in samples]
        out[side]['requests'] = common.median(
            [s['requests'] for s in samples])
    out['ratio'] = testbed.ratio(out['in_place']['median_s'],
                                 out['replacement']['median_s'])
    out['ratio_side_by_side'] = testbed.ratio(
        out['in_place_unchained']['median_s'],
        out['replacement']['median_s'])
    return out
