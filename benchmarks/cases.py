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

"""The measurements. Each public function returns plain data for the JSON.

Everything runs against a real glance-api (the test harness's
:class:`~tests.harness.glance.GlanceServer`) and Heat engine code
in-process (:mod:`tests.harness.heat`). Where two things are compared,
their runs alternate (A B, B A, A B, ...) in the same process, and the
medians are reported.
"""

import copy
import cProfile
import json
import os
import pstats
import re
import statistics
import time
import uuid

from keystoneauth1 import session as ks_session
import openstack.connection

from benchmarks import common
from tests.harness import glance as harness_glance
from tests.harness import heat

MIB = 1 << 20

#: Image ids in request paths are replaced by this, so runs compare.
ID = '{id}'

_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                   r'[0-9a-f]{12}')

#: Requests a client makes once to learn the API, not per operation.
_DISCOVERY = re.compile(r'^/(versions/?)?$|^/v2/?$|^/v2/schemas/')

#: Free property keys the benchmarks set (other keys on an image belong
#: to Glance or to a client library).
KEY_PREFIX = 'bench_'

_PATCH_HEADERS = {
    'Content-Type': 'application/openstack-images-v2.1-json-patch'}


class BenchmarkError(Exception):
    """A benchmarked operation did not do what it should."""


def fail(message, *args):
    raise BenchmarkError(message % args if args else message)


def key(i):
    return '%s%03d' % (KEY_PREFIX, i)


def props(n, value='v0'):
    return dict((key(i), value) for i in range(n))


def payload(size):
    """``size`` bytes of incompressible data, made quickly."""
    block = os.urandom(min(size, MIB))
    whole, rest = divmod(size, len(block)) if block else (0, 0)
    return block * whole + block[:rest]


def median(values):
    return statistics.median(values) if values else None


def ratio(a, b):
    if not a or b is None:
        return None
    return b / a


def summary(samples):
    """Median wall time of a list of seconds (or of sample dicts)."""
    if samples and isinstance(samples[0], dict):
        out = {}
        for field in ('wall_s', 'client_cpu_s', 'server_cpu_s'):
            values = [s[field] for s in samples if s.get(field) is not None]
            out[field] = median(values)
        return out
    return {'median_s': median(samples), 'runs_s': list(samples)}


def normalise_requests(requests):
    return [[method, _UUID.sub(ID, path)] for method, path in requests]


def describe_requests(requests):
    """Counts of one operation's requests, discovery kept apart."""
    requests = normalise_requests(requests)
    work = [r for r in requests if not _DISCOVERY.match(r[1])]
    by_method = {}
    for method, _path in work:
        by_method[method] = by_method.get(method, 0) + 1
    return {
        'requests': work,
        'count': len(work),
        'writes': len([r for r in work if r[0] != 'GET']),
        'by_method': by_method,
        'discovery': len(requests) - len(work),
    }


def image_resource(properties=None, resource_type='OS::Glance::Image',
                   map_name='properties', name='bench-image',
                   metadata=None):
    res_props = {
        'name': name,
        'disk_format': 'raw',
        'container_format': 'bare',
        'location': {'get_param': 'image_url'},
    }
    if properties is not None:
        res_props[map_name] = dict(properties)
    resource = {'type': resource_type, 'properties': res_props}
    if metadata:
        resource['metadata'] = metadata
    return resource


def template(resources):
    return {
        'heat_template_version': '2021-04-16',
        'parameters': {'image_url': {'type': 'string'}},
        'resources': resources,
    }


def one_image(properties, **kwargs):
    return template({'image': image_resource(properties, **kwargs)})


class Bench(object):
    """The Glance, the data server and the Heat context of one run."""

    def __init__(self, data, glance):
        self.data = data
        self.glance = glance
        heat.setup()
        self.ctx = heat.make_context(glance.url, heat.MEMBER)
        self.admin = heat.glance(glance.url, heat.ADMIN)
        self.client = heat.glance(glance.url, heat.MEMBER)

    # Glance side -------------------------------------------------------

    def counter(self):
        return harness_glance.RequestCounter(self.glance)

    def server_pids(self):
        proc = getattr(self.glance, '_proc', None)
        if proc is None:
            return []
        pids = [proc.pid]
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            stat = _read_stat(entry)
            if stat is not None and stat[1] == proc.pid:
                pids.append(int(entry))
        return pids

    def server_cpu(self):
        """CPU seconds used so far by glance-api (master and workers)."""
        total = 0.0
        pids = self.server_pids()
        if not pids:
            return None
        for pid in pids:
            stat = _read_stat(str(pid))
            if stat is not None:
                total += stat[2]
        return total

    def measure(self, fn):
        """Run ``fn``; return its wall, client CPU and server CPU time."""
        server0 = self.server_cpu()
        cpu0 = time.process_time()
        wall0 = time.perf_counter()
        result = fn()
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        server1 = self.server_cpu()
        sample = {'wall_s': wall, 'client_cpu_s': cpu,
                  'server_cpu_s': (None if server0 is None
                                   else server1 - server0)}
        return sample, result

    def wait_import_done(self, image_id, timeout=60):
        """Wait until no import task holds the image; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            image = self.admin.images.get(image_id)
            if not image.get('os_glance_import_task'):
                return True
            time.sleep(0.05)
        return False

    def live_props(self, image_id):
        image = self.admin.images.get(image_id)
        return dict((k, v) for k, v in image.items()
                    if k.startswith(KEY_PREFIX))

    def image_url(self, size, data=None):
        name = 'bench-%s' % uuid.uuid4().hex[:12]
        return self.data.add(name, data=data if data is not None
                             else payload(size))

    # Heat side ---------------------------------------------------------

    def create_stack(self, tmpl, url, check=True, timeout_mins=None):
        if timeout_mins is None:
            stk = heat.create(self.ctx, copy.deepcopy(tmpl),
                              {'image_url': url})
        else:
            stk = heat.build_stack(self.ctx, copy.deepcopy(tmpl),
                                   {'image_url': url})
            stk.timeout_mins = timeout_mins
            stk.validate()
            stk.store()
            stk.create()
        if check:
            _check(stk, 'CREATE')
        return stk

    def update_stack(self, stk, tmpl, url, check=True, timeout_mins=None):
        if timeout_mins is None:
            heat.update(stk, copy.deepcopy(tmpl), {'image_url': url})
        else:
            new = heat.build_stack(stk.context, copy.deepcopy(tmpl),
                                   {'image_url': url}, name=stk.name)
            new.timeout_mins = stk.timeout_mins = timeout_mins
            new.validate()
            stk.update(new)
        if check:
            _check(stk, 'UPDATE')
        return stk

    def delete_stack(self, stk):
        stk.delete()
        if stk.state != ('DELETE', 'COMPLETE'):
            fail('stack delete: %s %s' % (
                '_'.join(stk.state), stk.status_reason))


def _read_stat(pid):
    """``(pid, ppid, cpu seconds)`` of a process, or None if it is gone."""
    try:
        with open('/proc/%s/stat' % pid) as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(')') + 2:].split()
    ticks = os.sysconf('SC_CLK_TCK')
    return (int(pid), int(fields[1]),
            (int(fields[11]) + int(fields[12])) / float(ticks))


def _check(stk, action):
    if stk.state != (action, 'COMPLETE'):
        fail('stack %s: %s %s' % (
            action.lower(), '_'.join(stk.state), stk.status_reason))


# 1. In place against replacement, per image size -------------------------

def in_place_vs_replacement(bench, sizes_mib, reps, n_props=10):
    """Update one property in place, or replace the image, per size."""
    results = []
    for size_mib in sizes_mib:
        data = payload(size_mib * MIB)
        urls = [bench.image_url(0, data), bench.image_url(0, data)]
        state = {'url': urls[0], 'props': props(n_props), 'round': 0}
        tmpl = one_image(state['props'])
        wall0 = time.perf_counter()
        stk = bench.create_stack(tmpl, state['url'])
        create_s = time.perf_counter() - wall0

        def in_place():
            state['round'] += 1
            new = dict(state['props'])
            new[key(0)] = 'v%d' % state['round']
            before = stk['image'].resource_id
            wall0 = time.perf_counter()
            bench.update_stack(stk, one_image(new), state['url'])
            wall = time.perf_counter() - wall0
            if stk['image'].resource_id != before:
                fail('an in-place update replaced the image')
            state['props'] = new
            return wall

        def replacement():
            url = urls[1] if state['url'] == urls[0] else urls[0]
            before = stk['image'].resource_id
            wall0 = time.perf_counter()
            bench.update_stack(stk, one_image(state['props']), url)
            wall = time.perf_counter() - wall0
            if stk['image'].resource_id == before:
                fail('a location change kept the image')
            state['url'] = url
            return wall

        runs = common.alternate([('in_place', in_place),
                                 ('replacement', replacement)], reps)
        if bench.live_props(stk['image'].resource_id) != state['props']:
            fail('the image does not have the properties of the '
                 'template')
        bench.delete_stack(stk)
        in_place_s = summary(runs['in_place'])
        replacement_s = summary(runs['replacement'])
        results.append({
            'size_mib': size_mib,
            'create_s': create_s,
            'in_place': in_place_s,
            'replacement': replacement_s,
            'ratio': ratio(in_place_s['median_s'],
                           replacement_s['median_s']),
        })
    return {'n_properties': n_props, 'reps': reps, 'sizes': results}


# 2. Requests per operation -----------------------------------------------

def _operations(n):
    """The desired property maps, in order: ``[(op, map)]``."""
    base = props(n)
    one = dict(base)
    one[key(0)] = 'v1'
    half = dict(one)
    for i in range(max(1, n // 2)):
        half[key(i)] = 'v2'
    removed = dict(half)
    for i in range(n - max(1, n // 4), n):
        del removed[key(i)]
    return [('create', base), ('change_one', one), ('change_half', half),
            ('remove_some', removed)]


#: How long one operation of the request counts may take.
OP_TIMEOUT_MINS = 1


def _heat_client_ops(bench, n, resource_type, map_name):
    url = bench.image_url(64 * 1024)
    out = {}

    def tmpl(mapping, metadata=None):
        return one_image(mapping, resource_type=resource_type,
                         map_name=map_name, metadata=metadata)

    stk = None
    current = None
    metadata = None
    steps = _operations(n)
    steps += [('noop_same_template', None), ('noop_metadata_only', None),
              ('same_template_again', None)]
    for op, mapping in steps:
        if mapping is None:
            mapping = current
        if op == 'noop_metadata_only':
            # From here on the template differs only in its metadata.
            metadata = {'changed': 'only the resource metadata'}
        image_before = stk['image'].resource_id if stk else None
        counter = bench.counter()
        error = None
        gate = None
        if op == 'create':
            if resource_type == 'OS::Glance::WebImage':
                # Served once WebImage's PATCH is done (see the class).
                gate = harness_glance.DataAfterPatch(
                    payload(64 * 1024), counter)
                url = bench.image_url(None, data=gate)
            stk = bench.create_stack(tmpl(mapping), url, check=False,
                                     timeout_mins=OP_TIMEOUT_MINS)
            action = 'CREATE'
        else:
            bench.update_stack(stk, tmpl(mapping, metadata), url,
                               check=False, timeout_mins=OP_TIMEOUT_MINS)
            action = 'UPDATE'
        seen = counter.since()
        if stk.state != (action, 'COMPLETE'):
            error = stk.status_reason
            if op in ('create', 'change_one'):
                fail('%s %s: %s', resource_type, op, error)
        record = describe_requests(seen)
        image_id = stk['image'].resource_id
        if gate is not None:
            record['data_waited_for_patch'] = not gate.timed_out
            # WebImage's create completes on "active", while the import
            # task may still hold the image and save it once more.
            record['import_lock_released'] = bench.wait_import_done(
                image_id)
        live = bench.live_props(image_id)
        record.update({
            'state': '_'.join(stk.state),
            'error': error,
            'image_replaced': (image_before is not None and
                               image_id != image_before),
            'properties_ok': live == mapping,
        })
        if gate is not None and live != mapping:
            # The import task read the image before WebImage's PATCH and
            # saved it after: Glance has no ETag, the PATCH is lost (a
            # race of Heat's WebImage, which sends it during the import).
            # Recorded, then put right outside Heat (not counted), so that
            # the update rows measure updates from the template's state.
            record['lost_by_glance'] = sorted(
                k for k, v in mapping.items() if live.get(k) != v)
            bench.admin.images.update(image_id, **dict(
                (k, mapping[k]) for k in record['lost_by_glance']))
        out[op] = record
        current = mapping
    bench.delete_stack(stk)
    return out


def _sdk_connection(bench):
    project_id, user_id, roles = heat.MEMBER
    # The endpoint must carry the version: the token plugin answers every
    # catalog lookup with it and openstacksdk appends only the path.
    auth = heat.TrustedIdentity(bench.glance.url + '/v2', project_id,
                                user_id, roles)
    return openstack.connection.Connection(
        session=ks_session.Session(auth=auth), region_name='RegionOne')


def _sdk_ops(bench, n):
    """openstacksdk, the way Ansible's image module drives it."""
    conn = _sdk_connection(bench)
    url = bench.image_url(64 * 1024)
    out = {}
    image_id = None
    current = None
    steps = _operations(n) + [('noop_same_template', None)]
    for op, mapping in steps:
        if mapping is None:
            mapping = current
        record = None
        counter = bench.counter()
        if op == 'create':
            image = conn.image.create_image(
                'bench-sdk', disk_format='raw', container_format='bare',
                allow_duplicates=True, **mapping)
            image_id = image.id
            conn.image.import_image(image, method='web-download', uri=url)
            # Wait like the plugin does: 'active' and the import task
            # gone (a PATCH in between can be refused or lost).
            while True:
                image = conn.image.get_image(image_id)
                if image.status in ('killed',):
                    fail('sdk import failed')
                if (image.status == 'active' and
                        not image.properties.get('os_glance_import_task')):
                    break
                time.sleep(heat.POLL_INTERVAL)
        elif op == 'remove_some':
            # update_image_properties only adds or changes keys.
            record = {'supported': False,
                      'note': 'update_image_properties cannot remove keys'}
            mapping = current
        else:
            image = conn.image.get_image(image_id)
            conn.image.update_image_properties(image=image, **mapping)
        if record is None:
            record = describe_requests(counter.since())
            record.update({
                'state': 'COMPLETE', 'error': None, 'image_replaced': False,
                'properties_ok': bench.live_props(image_id) == mapping,
            })
        out[op] = record
        current = mapping
    conn.image.delete_image(image_id)
    return out


def eventlet_patched():
    """Whether the process runs on eventlet (older Heat test setups)."""
    try:
        from eventlet import patcher
    except ImportError:
        return False
    return patcher.is_monkey_patched('thread')


def requests_per_operation(bench, n):
    clients = {
        'plugin': _heat_client_ops(bench, n, 'OS::Glance::Image',
                                   'properties'),
        'heat_webimage': _heat_client_ops(bench, n, 'OS::Glance::WebImage',
                                          'extra_properties'),
    }
    if eventlet_patched():
        # Older Heat releases set up eventlet for their test package, and
        # openstacksdk then hangs in this process.
        clients['openstacksdk'] = {
            'skipped': 'openstacksdk does not run in an eventlet-patched '
                       'process (Heat before 2025.1 in-process)'}
    else:
        clients['openstacksdk'] = _sdk_ops(bench, n)
    return {'n_properties': n, 'clients': clients}


# 3. Scaling with the number of properties ---------------------------------

def _glanceclient_variants(bench, n):
    """Client calls that set or change properties, one sample each."""
    images = bench.client.images
    http = bench.client.http_client
    many = props(n)
    out = {}
    created = []

    def new_image():
        image = images.create(name='bench-scale', disk_format='raw',
                              container_format='bare')
        created.append(image.id)
        return image.id

    def sample(name, fn):
        counter = bench.counter()
        result, value = bench.measure(fn)
        result['requests'] = describe_requests(counter.since())['count']
        out[name] = result
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
           lambda: images.update(full, **{key(0): 'changed'}))
    one = [{'op': 'add', 'path': '/%s' % key(0), 'value': 'again'}]
    sample('PATCH with 1 op (N-key image)',
           lambda: http.patch('/v2/images/%s' % full,
                              headers=_PATCH_HEADERS, data=json.dumps(one)))
    if bench.live_props(full)[key(0)] != 'again':
        fail('the one-op PATCH was not applied')
    for image_id in created:
        images.delete(image_id)
    return out


def _heat_scaling(bench, n, url):
    stk_box = []

    def create():
        stk_box.append(bench.create_stack(one_image(props(n)), url))

    def update_one():
        new = props(n)
        new[key(0)] = 'changed'
        bench.update_stack(stk_box[0], one_image(new), url)

    out = {}
    for name, fn in (('stack create', create),
                     ('stack update of 1 key', update_one)):
        counter = bench.counter()
        out[name], _r = bench.measure(fn)
        out[name]['requests'] = describe_requests(counter.since())['count']
    if len(bench.live_props(stk_box[0]['image'].resource_id)) != n:
        fail('the image does not have %d properties' % n)
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
                row[group][name] = summary(samples)
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
                lambda: images.update(image.id, **props(n))),
        }
        images.delete(image.id)
    return result


# 4. A stack of many images -------------------------------------------------

def fleet(bench, count, size_mib, reps, n_props=10):
    """Change every image of a stack at once: in place or by replacement."""
    data = payload(size_mib * MIB)
    urls = [bench.image_url(0, data), bench.image_url(0, data)]
    state = {'url': urls[0], 'round': 0, 'value': 'v0'}

    def tmpl(value, chained=True):
        resources = {}
        for i in range(count):
            resource = image_resource(props(n_props, value),
                                      name='bench-fleet-%02d' % i)
            if i and chained:
                # One image at a time: the harness's sqlite-backed Glance
                # fails concurrent imports ("database is locked").
                resource['depends_on'] = 'image%02d' % (i - 1)
            resources['image%02d' % i] = resource
        return template(resources)

    def ids(stk):
        return [stk['image%02d' % i].resource_id for i in range(count)]

    wall0 = time.perf_counter()
    stk = bench.create_stack(tmpl('v0'), state['url'])
    create_s = time.perf_counter() - wall0

    def measured(fn):
        counter = bench.counter()
        sample, _result = bench.measure(fn)
        sample['requests'] = describe_requests(counter.since())['count']
        return sample

    def in_place(chained=True):
        state['round'] += 1
        value = 'v%d' % state['round']
        before = ids(stk)
        sample = measured(lambda: bench.update_stack(
            stk, tmpl(value, chained), state['url']))
        if ids(stk) != before:
            fail('an in-place update replaced images')
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
            fail('a location change kept some images')
        state['url'] = url
        return sample

    # In place, the images can also be updated side by side (no import
    # runs): the same update without the depends_on chain.
    runs = common.alternate([('in_place', in_place),
                             ('in_place_unchained', lambda: in_place(False)),
                             ('replacement', replacement)], reps)
    for image_id in ids(stk):
        if bench.live_props(image_id) != props(n_props, state['value']):
            fail('image %s has stale properties' % image_id)
    bench.delete_stack(stk)
    out = {
        'images': count, 'size_mib': size_mib, 'n_properties': n_props,
        'reps': reps, 'create_s': create_s,
    }
    for side in ('in_place', 'in_place_unchained', 'replacement'):
        samples = runs[side]
        out[side] = summary(samples)
        out[side]['median_s'] = out[side]['wall_s']
        out[side]['runs_s'] = [s['wall_s'] for s in samples]
        out[side]['requests'] = median([s['requests'] for s in samples])
    out['ratio'] = ratio(out['in_place']['median_s'],
                         out['replacement']['median_s'])
    out['ratio_side_by_side'] = ratio(out['in_place_unchained']['median_s'],
                                      out['replacement']['median_s'])
    return out
