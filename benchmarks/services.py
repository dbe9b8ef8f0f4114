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

"""Benchmarks through the real services of the mini-cloud.

Usage (from the top of the repository; ``make bench-services``)::

    .venv/bin/python benchmarks/services.py [--quick | --smoke] [--output F]
    .venv/bin/python benchmarks/services.py --report F.json [--rst]

The cloud of the mini-cloud test tier (:mod:`tests.minicloud.cloud`:
Keystone, Glance, heat-api, heat-engine with the convergence engine and
two workers, RabbitMQ, MariaDB, all on 127.0.0.1) is started for the run
and stopped after it. Everything is driven as the ``demo`` member, as a
user would: the ``openstack`` command, python-heatclient and openstacksdk.

Two comparisons, their variants alternating (A B C, C B A, ...):

``one_image``
    One property of one image changes: ``openstack stack update --wait``
    (the CLI, wall time until it returns on UPDATE_COMPLETE), the same
    update through Heat's API (heatclient, polling the stack), ``openstack
    image set --property``, and openstacksdk ``update_image_properties``
    and ``image.update_image``.
``fleet``
    Every property of every image of a stack of many images (side by side,
    no ``depends_on``) changes: in place, by replacement (a new
    ``image_url``), and as a loop of openstacksdk calls, one per image.

For each run: wall time; the requests Glance served (the harness's
counter); the time Glance, Keystone and heat-api took to serve requests
(their access logs); the database statements and busy time of each
service (MariaDB's per-user statistics, one user per service); and the CPU
time of each service's processes. See doc/source/benchmarks.rst.
"""

import argparse
import datetime
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import uuid

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MODES = {
    'full': {'one_reps': 5, 'fleet_images': 50, 'fleet_reps': 3,
             'n_properties': 10, 'size_kib': 1024},
    'quick': {'one_reps': 3, 'fleet_images': 10, 'fleet_reps': 2,
              'n_properties': 10, 'size_kib': 256},
    'smoke': {'one_reps': 1, 'fleet_images': 3, 'fleet_reps': 1,
              'n_properties': 3, 'size_kib': 64},
}

#: How often the API variants ask Heat for the stack's status.
POLL_S = {'one_image': 0.1, 'fleet': 0.5}

#: Bounds of every wait.
STACK_TIMEOUT_S = 900
CLI_TIMEOUT_S = 900

KEY_PREFIX = 'bench_'

ONE_IMAGE = (
    ('stack_update_cli', 'openstack stack update --wait'),
    ('stack_update_api', 'stack update through the API (heatclient)'),
    ('image_set_cli', 'openstack image set --property'),
    ('sdk_update_image_properties',
     'openstacksdk get_image + update_image_properties'),
    ('sdk_update_image', 'openstacksdk image.update_image (by id)'),
)
#: Every update of the 50-image stack adds about 100 resource events,
#: and heat-engine 27.0.1 keeps a finished thread per event in the
#: stack's thread group, up to 1000 per worker: past that, every resource
#: of the stack fails with "Maximum number of threads reached" and the
#: stack stays IN_PROGRESS (see doc/source/benchmarks.rst). The full mode
#: stays under that on its one stack: three variants, three runs each.
FLEET = (
    ('in_place', 'stack update, in place'),
    ('replacement', 'stack update, replacement (new image_url)'),
    ('sdk_loop', 'loop of openstacksdk get_image + '
                 'update_image_properties'),
)

#: Processes of the cloud, by the name the cloud spawned them with.
SERVICES = ('heat-engine', 'heat-api', 'glance', 'keystone', 'mariadb',
            'rabbitmq')

_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                   r'[0-9a-f]{12}')
#: Requests a client makes to learn the API, not to do the work.
_DISCOVERY = re.compile(r'^/(versions/?)?$|^/v2/?$|^/v2/schemas/')


class BenchmarkError(Exception):
    pass


def fail(message, *args):
    raise BenchmarkError(message % args if args else message)


def key(i):
    return '%s%03d' % (KEY_PREFIX, i)


def props(n, value):
    return dict((key(i), value) for i in range(n))


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


#: How the images of a stack depend on each other. ``side_by_side``: not
#: at all (every image is a leaf of Heat's graph); ``fan_out``: every image
#: depends on one ``OS::Heat::None`` (the only leaf); ``chain``: each
#: image on the one before.
SHAPES = ('side_by_side', 'fan_out', 'chain')


def image_template(count, n_props, value, prefix='bench-svc',
                   shape='side_by_side'):
    resources = {}
    if shape != 'side_by_side':
        resources['root'] = {'type': 'OS::Heat::None'}
    for i in range(count):
        resource = {
            'type': 'OS::Glance::Image',
            'properties': {
                'name': '%s-%02d' % (prefix, i),
                'disk_format': 'raw', 'container_format': 'bare',
                'location': {'get_param': 'image_url'},
                'properties': props(n_props, value),
            },
        }
        if shape == 'fan_out':
            resource['depends_on'] = 'root'
        elif shape == 'chain':
            resource['depends_on'] = 'image%02d' % (i - 1) if i else 'root'
        resources['image%02d' % i] = resource
    return {'heat_template_version': '2021-04-16',
            'parameters': {'image_url': {'type': 'string'}},
            'resources': resources}


# Where the time goes -------------------------------------------------------

class Probe(object):
    """What the services did between ``start()`` and ``stop()``."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.ticks = float(os.sysconf('SC_CLK_TCK'))

    # Glance's request counter (the harness's).
    def _requests(self):
        return self.cloud.glance.requests()

    # Access logs: "METHOD PATH STATUS SECONDS" per request.
    def _log_size(self, service):
        try:
            return os.path.getsize(self.cloud.access_log(service))
        except OSError:
            return 0

    def _log_since(self, service, offset):
        try:
            with open(self.cloud.access_log(service), 'rb') as f:
                f.seek(offset)
                text = f.read().decode('utf-8', 'replace')
        except OSError:
            return []
        out = []
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 4:
                try:
                    out.append((parts[0], parts[1], int(parts[2]),
                                float(parts[3])))
                except ValueError:
                    pass
        return out

    # MariaDB's per-user statistics: one user per service.
    def _db_stats(self):
        db = self.cloud._db_connect('root', '')
        try:
            with db.cursor() as cur:
                cur.execute(
                    'SELECT USER, BUSY_TIME, SELECT_COMMANDS, '
                    'UPDATE_COMMANDS, OTHER_COMMANDS, ROWS_READ, '
                    'ROWS_UPDATED FROM information_schema.USER_STATISTICS')
                rows = cur.fetchall()
        finally:
            db.close()
        return dict((row[0], row[1:]) for row in rows)

    # CPU time of each service: every process of the session the cloud
    # started it in.
    def _cpu(self):
        leaders = {}
        for name, proc in self.cloud.procs:
            leaders[proc.pid] = name
        # The harness starts Glance itself, in a session of its own.
        leaders[self.cloud.glance.pid] = 'glance'
        out = dict((name, 0.0) for name in SERVICES)
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            try:
                with open('/proc/%s/stat' % entry) as f:
                    text = f.read()
            except OSError:
                continue
            fields = text[text.rindex(')') + 2:].split()
            sid = int(fields[3])
            name = leaders.get(sid)
            if name is None:
                continue
            name = {'epmd': 'rabbitmq'}.get(name, name)
            if name in out:
                out[name] += (int(fields[11]) + int(fields[12])) / self.ticks
        return out

    def start(self):
        # Let the access log lines of the requests just before (e.g. the
        # previous run's check) be written first.
        time.sleep(0.3)
        self.requests0 = len(self._requests())
        self.logs0 = dict((s, self._log_size(s))
                          for s in ('glance', 'keystone', 'heat-api'))
        self.db0 = self._db_stats()
        self.cpu0 = self._cpu()
        self.children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.process0 = time.process_time()
        self.wall0 = time.perf_counter()

    def stop(self):
        wall = time.perf_counter() - self.wall0
        process = time.process_time() - self.process0
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        # The access log line is written once the response is sent.
        time.sleep(0.3)
        cpu = self._cpu()
        db = self._db_stats()
        requests = self._requests()[self.requests0:]
        sample = {
            'wall_s': wall,
            'glance': describe_requests(requests),
            'cpu_s': dict((name, cpu[name] - self.cpu0.get(name, 0.0))
                          for name in SERVICES),
            'db': {},
            'served': {},
        }
        sample['cpu_s']['client'] = process + (
            children.ru_utime - self.children0.ru_utime +
            children.ru_stime - self.children0.ru_stime)
        for user in ('heat', 'glance', 'keystone'):
            now = db.get(user)
            if now is None:
                continue
            before = self.db0.get(user, (0.0, 0, 0, 0, 0, 0))
            diff = [a - b for a, b in zip(now, before)]
            sample['db'][user] = {
                'busy_s': float(diff[0]),
                'statements': int(diff[1] + diff[2] + diff[3]),
                'selects': int(diff[1]), 'updates': int(diff[2]),
                'rows_read': int(diff[4]), 'rows_updated': int(diff[5]),
            }
        for service, offset in self.logs0.items():
            lines = self._log_since(service, offset)
            sample['served'][service] = {
                'requests': len(lines),
                'seconds': sum(line[3] for line in lines),
            }
        return sample


def describe_requests(requests):
    """Glance's requests of one operation, discovery kept apart."""
    requests = [[m, _UUID.sub('{id}', p)] for m, p in requests]
    work = [r for r in requests if not _DISCOVERY.match(r[1])]
    by_method = {}
    for method, _path in work:
        by_method[method] = by_method.get(method, 0) + 1
    return {'count': len(work), 'by_method': by_method,
            'discovery': len(requests) - len(work),
            'requests': work if len(work) <= 12 else work[:12]}


# The clients ---------------------------------------------------------------

class Clients(object):
    """The member's CLI, heatclient and openstacksdk against the cloud."""

    def __init__(self, cloud):
        from heatclient import client as heat_client
        from keystoneauth1.identity import v3
        from keystoneauth1 import session as ks_session
        import openstack.connection

        from tests.minicloud import cloud as minicloud

        self.cloud = cloud
        auth = v3.Password(auth_url=cloud.keystone_url,
                           username=minicloud.MEMBER_USER,
                           password=cloud.passwords['demo'],
                           project_name=minicloud.MEMBER_PROJECT,
                           user_domain_id='default',
                           project_domain_id='default')
        self.session = ks_session.Session(auth=auth)
        self.heat = heat_client.Client('1', session=self.session,
                                       region_name='RegionOne')
        self.sdk = openstack.connection.Connection(
            session=self.session, region_name='RegionOne')
        self.workdir = cloud.workdir

    def cli(self, *args):
        proc = self.cloud.openstack(*args, timeout=CLI_TIMEOUT_S)
        if proc.returncode:
            fail('openstack %s failed: %s', ' '.join(args[:3]),
                 proc.stderr[-2000:])
        return proc.stdout

    def write_template(self, tmpl):
        path = os.path.join(self.workdir, 'bench-%s.yaml' % uuid.uuid4().hex)
        with open(path, 'w') as f:
            json.dump(tmpl, f)
        return path

    # Heat's API.
    def stack(self, stack_id):
        return self.heat.stacks.get(stack_id)

    def wait_stack(self, stack_id, action, poll_s, since=None):
        deadline = time.monotonic() + STACK_TIMEOUT_S
        while True:
            stack = self.stack(stack_id)
            status = stack.stack_status
            fresh = since is None or stack.updated_time != since
            if fresh and status == '%s_COMPLETE' % action:
                return stack
            if fresh and status == '%s_FAILED' % action:
                fail('stack %s: %s %s', action.lower(), status,
                     stack.stack_status_reason)
            if time.monotonic() > deadline:
                fail('stack %s did not finish within %s s', action.lower(),
                     STACK_TIMEOUT_S)
            time.sleep(poll_s)

    def create_stack(self, name, tmpl, url, poll_s):
        created = self.heat.stacks.create(
            stack_name=name, template=tmpl, parameters={'image_url': url})
        # name/id: every call of the API goes straight to the stack.
        stack_id = '%s/%s' % (name, created['stack']['id'])
        self.wait_stack(stack_id, 'CREATE', poll_s)
        return stack_id

    def update_stack(self, stack_id, tmpl, url, poll_s):
        before = self.stack(stack_id).updated_time
        self.heat.stacks.update(stack_id, template=tmpl,
                                parameters={'image_url': url})
        self.wait_stack(stack_id, 'UPDATE', poll_s, since=before)

    def delete_stack(self, stack_id, poll_s):
        from heatclient import exc as heat_exc

        self.heat.stacks.delete(stack_id)
        deadline = time.monotonic() + STACK_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                stack = self.stack(stack_id)
            except heat_exc.HTTPNotFound:
                return
            if stack.stack_status == 'DELETE_COMPLETE':
                return
            if stack.stack_status == 'DELETE_FAILED':
                fail('stack delete: %s', stack.stack_status_reason)
            time.sleep(poll_s)
        fail('stack delete did not finish within %s s', STACK_TIMEOUT_S)

    def image_ids(self, stack_id):
        return dict((r.resource_name, r.physical_resource_id)
                    for r in self.heat.resources.list(stack_id)
                    if r.resource_type == 'OS::Glance::Image')

    # Glance, read back as the admin would (not counted: outside probes).
    def free_properties(self, image_id):
        image = self.session.get(
            '%s/v2/images/%s' % (self.cloud.glance.url, image_id)).json()
        return dict((k, v) for k, v in image.items()
                    if k.startswith(KEY_PREFIX))

    def wait_active(self, image_id):
        deadline = time.monotonic() + STACK_TIMEOUT_S
        while time.monotonic() < deadline:
            image = self.session.get(
                '%s/v2/images/%s' % (self.cloud.glance.url, image_id)).json()
            if image['status'] == 'active' and not image.get(
                    'os_glance_import_task'):
                return
            if image['status'] == 'killed' or image.get(
                    'os_glance_failed_import'):
                fail('import of %s failed', image_id)
            time.sleep(0.2)
        fail('image %s did not become active', image_id)


# 1. One property of one image ----------------------------------------------

def one_image(cloud, clients, settings, log):
    from benchmarks import common

    n = settings['n_properties']
    url = cloud.data.add('bench-one-%s' % uuid.uuid4().hex[:8],
                         size=settings['size_kib'] * 1024)
    state = {'round': 0}
    # The stack's image.
    current = props(n, 'v0')
    tmpl = image_template(1, n, 'v0', prefix='bench-one-stack')
    stack_name = 'bench-one-%s' % uuid.uuid4().hex[:6]
    stack_id = clients.create_stack(stack_name, tmpl, url,
                                    POLL_S['one_image'])
    stack_image = clients.image_ids(stack_id)['image00']
    # The image the direct clients change: made the same way a user
    # would, outside Heat.
    sdk = clients.sdk
    image = sdk.image.create_image(
        'bench-one-direct', disk_format='raw', container_format='bare',
        allow_duplicates=True, **current)
    direct_image = image.id
    sdk.image.import_image(image, method='web-download', uri=url)
    clients.wait_active(direct_image)
    direct = dict(current)

    def next_value():
        state['round'] += 1
        return 'r%d' % state['round']

    def measured(fn, image_id, expected):
        probe = Probe(cloud)
        probe.start()
        fn()
        sample = probe.stop()
        if clients.free_properties(image_id) != expected:
            fail('%s has the wrong properties after the change', image_id)
        return sample

    def stack_change(via_cli):
        value = next_value()
        current[key(0)] = value
        new = image_template(1, n, 'v0', prefix='bench-one-stack')
        new['resources']['image00']['properties']['properties'] = dict(
            current)
        if via_cli:
            path = clients.write_template(new)

            def fn():
                clients.cli('stack', 'update', '--wait', '-t', path,
                            '--parameter', 'image_url=%s' % url,
                            stack_name)
        else:
            def fn():
                clients.update_stack(stack_id, new, url,
                                     POLL_S['one_image'])
        sample = measured(fn, stack_image, current)
        if clients.image_ids(stack_id)['image00'] != stack_image:
            fail('the stack update replaced the image')
        return sample

    def direct_change(how):
        value = next_value()
        direct[key(0)] = value

        def fn():
            if how == 'cli':
                clients.cli('image', 'set', '--property',
                            '%s=%s' % (key(0), value), direct_image)
            elif how == 'properties':
                img = sdk.image.get_image(direct_image)
                sdk.image.update_image_properties(image=img,
                                                  **{key(0): value})
            else:
                sdk.image.update_image(direct_image, **{key(0): value})
        return measured(fn, direct_image, direct)

    fns = {
        'stack_update_cli': lambda: stack_change(True),
        'stack_update_api': lambda: stack_change(False),
        'image_set_cli': lambda: direct_change('cli'),
        'sdk_update_image_properties': lambda: direct_change('properties'),
        'sdk_update_image': lambda: direct_change('update'),
    }
    # One run of each first, not measured: every client and service has
    # loaded its code and made its connections.
    for name, _title in ONE_IMAGE:
        fns[name]()
    runs = common.alternate(
        [(name, fns[name]) for name, _title in ONE_IMAGE],
        settings['one_reps'])
    clients.delete_stack(stack_id, POLL_S['one_image'])
    sdk.image.delete_image(direct_image)
    return {'n_properties': n, 'size_kib': settings['size_kib'],
            'reps': settings['one_reps'],
            'variants': dict((name, summarise(samples))
                             for name, samples in runs.items())}


# 2. A stack of many images -------------------------------------------------

def fleet(cloud, clients, settings, log):
    from benchmarks import common

    count = settings['fleet_images']
    n = settings['n_properties']
    poll = POLL_S['fleet']
    data = os.urandom(settings['size_kib'] * 1024)
    urls = [cloud.data.add('bench-fleet-a-%s' % uuid.uuid4().hex[:8], data),
            cloud.data.add('bench-fleet-b-%s' % uuid.uuid4().hex[:8], data)]
    state = {'round': 0, 'url': urls[0], 'value': 'v0'}
    name = 'bench-fleet-%s' % uuid.uuid4().hex[:6]

    probe = Probe(cloud)
    probe.start()
    stack_id = clients.create_stack(name, image_template(count, n, 'v0'),
                                    state['url'], poll)
    create = probe.stop()
    ids = clients.image_ids(stack_id)
    if len(ids) != count:
        fail('the stack has %d images, not %d', len(ids), count)

    def check_all(image_ids, value):
        want = props(n, value)
        for image_id in image_ids:
            if clients.free_properties(image_id) != want:
                fail('image %s has stale properties', image_id)

    def next_value():
        state['round'] += 1
        state['value'] = 'r%d' % state['round']
        return state['value']

    def in_place(shape):
        value = next_value()
        before = clients.image_ids(stack_id)
        probe = Probe(cloud)
        probe.start()
        clients.update_stack(stack_id, image_template(count, n, value,
                                                      shape=shape),
                             state['url'], poll)
        sample = probe.stop()
        if clients.image_ids(stack_id) != before:
            fail('an in-place update replaced images')
        check_all(before.values(), value)
        return sample

    def replacement(shape):
        value = next_value()
        url = urls[1] if state['url'] == urls[0] else urls[0]
        before = set(clients.image_ids(stack_id).values())
        probe = Probe(cloud)
        probe.start()
        clients.update_stack(stack_id, image_template(count, n, value,
                                                      shape=shape),
                             url, poll)
        sample = probe.stop()
        state['url'] = url
        after = clients.image_ids(stack_id)
        if before & set(after.values()):
            fail('a location change kept some images')
        check_all(after.values(), value)
        return sample

    def sdk_loop():
        value = next_value()
        image_ids = list(clients.image_ids(stack_id).values())
        sdk = clients.sdk
        probe = Probe(cloud)
        probe.start()
        for image_id in image_ids:
            img = sdk.image.get_image(image_id)
            sdk.image.update_image_properties(image=img, **props(n, value))
        sample = probe.stop()
        check_all(image_ids, value)
        return sample

    fns = {'in_place': lambda: in_place('side_by_side'),
           'replacement': lambda: replacement('side_by_side'),
           'sdk_loop': sdk_loop}
    runs = common.alternate(
        [(variant, fns[variant]) for variant, _title in FLEET],
        settings['fleet_reps'])
    probe = Probe(cloud)
    probe.start()
    clients.delete_stack(stack_id, poll)
    delete = probe.stop()
    return {'images': count, 'n_properties': n,
            'size_kib': settings['size_kib'], 'reps': settings['fleet_reps'],
            'create': create, 'delete': delete,
            'variants': dict((variant, summarise(samples))
                             for variant, samples in runs.items())}


def summarise(samples):
    """Medians of a variant's samples (every run kept too)."""
    out = {
        'runs_s': [s['wall_s'] for s in samples],
        'wall_s': median([s['wall_s'] for s in samples]),
        'glance_requests': median([s['glance']['count'] for s in samples]),
        'glance_discovery': median([s['glance']['discovery']
                                    for s in samples]),
        'glance_by_method': samples[-1]['glance']['by_method'],
        'glance_request_list': samples[-1]['glance']['requests'],
        'cpu_s': {}, 'served': {}, 'db': {},
    }
    for name in samples[0]['cpu_s']:
        out['cpu_s'][name] = median([s['cpu_s'][name] for s in samples])
    for service in samples[0]['served']:
        out['served'][service] = dict(
            (field, median([s['served'][service][field] for s in samples]))
            for field in ('requests', 'seconds'))
    for user in samples[0]['db']:
        out['db'][user] = dict(
            (field, median([s['db'][user][field] for s in samples
                            if user in s['db']]))
            for field in ('busy_s', 'statements', 'selects', 'updates'))
    return out


# Tables --------------------------------------------------------------------

def _s(value, digits=2):
    return '-' if value is None else '%.*f' % (digits, value)


def _n(value):
    if value is None:
        return '-'
    return '%d' % value if value == int(value) else '%.1f' % value


def _glance_cell(record):
    methods = ', '.join('%s %s' % (_n(v), k) for k, v in
                        sorted(record['glance_by_method'].items()))
    cell = _n(record['glance_requests'])
    if methods:
        cell += ' (%s)' % methods
    if record['glance_discovery']:
        cell += ' + %s discovery' % _n(record['glance_discovery'])
    return cell


def _db_cell(record):
    return ' / '.join(_n(record['db'].get(user, {}).get('statements'))
                      for user in ('heat', 'glance', 'keystone'))


def tables(results):
    """``[(title, headers, rows)]`` of a results dict."""
    out = []
    sections = []
    if results.get('one_image'):
        sections.append(('one_image', ONE_IMAGE,
                         'One property of one image (%d properties, '
                         'median of %d runs)' % (
                             results['one_image']['n_properties'],
                             results['one_image']['reps'])))
    if results.get('fleet'):
        sections.append(('fleet', FLEET,
                         'A stack of %d images side by side, every '
                         'property of every image changes (%d each, '
                         'median of %d runs)' % (
                             results['fleet']['images'],
                             results['fleet']['n_properties'],
                             results['fleet']['reps'])))
    for section, variants, title in sections:
        records = results[section]['variants']
        rows = []
        for variant, label in variants:
            rec = records.get(variant)
            if rec is None:
                continue
            served = rec['served']
            glance_s = served.get('glance', {}).get('seconds')
            rows.append([
                label, _s(rec['wall_s']), _glance_cell(rec),
                _s(glance_s, 3),
                _s(None if glance_s is None else rec['wall_s'] - glance_s),
                _n(served.get('keystone', {}).get('requests')),
                _n(served.get('heat-api', {}).get('requests')),
                _db_cell(rec),
            ])
        out.append((title, ['variant', 'wall s', 'Glance requests',
                            'Glance serving s', 'wall - Glance s',
                            'Keystone requests',
                            'heat-api requests',
                            'DB statements heat / glance / keystone'],
                    rows))
        rows = []
        for variant, label in variants:
            rec = records.get(variant)
            if rec is None:
                continue
            cpu = rec['cpu_s']
            rows.append([label, _s(rec['wall_s'])] +
                        [_s(cpu.get(name)) for name in SERVICES + (
                            'client',)] +
                        [_s(rec['db'].get('heat', {}).get('busy_s'), 3)])
        out.append(('Where the time goes: %s (CPU seconds per service)' %
                    section.replace('_', ' '),
                    ['variant', 'wall s'] + list(SERVICES) +
                    ['client', 'heat DB busy s'], rows))
    return out


def text(results):
    from benchmarks import common

    lines = []
    for title, headers, rows in tables(results):
        widths = common.column_widths(headers, rows)
        lines.append(title)
        lines.append('  '.join(h.ljust(w) for h, w in zip(headers, widths)))
        for row in rows:
            lines.append('  '.join(str(c).ljust(w)
                                   for c, w in zip(row, widths)))
        lines.append('')
    return '\n'.join(lines)


def rst(results):
    lines = []
    for title, headers, rows in tables(results):
        lines.append('.. list-table:: %s' % title)
        lines.append('   :header-rows: 1')
        lines.append('')
        for row in [headers] + rows:
            for i, cell in enumerate(row):
                lines.append('   %s %s' % ('* -' if i == 0 else '  -', cell))
        lines.append('')
    return '\n'.join(lines)


# Running -------------------------------------------------------------------

def _versions():
    from benchmarks import report

    found = report.machine()
    import importlib.metadata
    for name in ('keystone', 'python-heatclient', 'python-openstackclient',
                 'PyMySQL', 'oslo.messaging'):
        try:
            found['versions'][name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found['versions'][name] = None
    for name, cmd in (('mariadb', ['/usr/sbin/mariadbd', '--version']),
                      ('rabbitmq', ['dpkg-query', '-W', '-f=${Version}',
                                    'rabbitmq-server'])):
        try:
            found['versions'][name] = subprocess.run(
                cmd, capture_output=True, text=True,
                timeout=30).stdout.strip()[:80] or None
        except (OSError, subprocess.TimeoutExpired):
            found['versions'][name] = None
    return found


def run(mode, sections, output, log=print):
    from benchmarks import common

    from tests.minicloud import cloud as minicloud

    settings = MODES[mode]
    started = time.perf_counter()
    results = {
        'format': 1, 'mode': mode,
        'date': datetime.datetime.now(datetime.timezone.utc).strftime(
            '%Y-%m-%dT%H:%M:%SZ'),
        'machine': _versions(),
        'settings': dict(settings, poll_s=POLL_S),
        'cloud': {'heat_engine_workers': 2, 'convergence_engine': True,
                  'database': 'MariaDB (private instance)',
                  'messaging': 'RabbitMQ'},
        'section_s': {},
        'load_average_start': list(os.getloadavg()),
    }
    cloud = minicloud.MiniCloud()
    try:
        wall0 = time.perf_counter()
        cloud.start()
        results['cloud']['start_s'] = time.perf_counter() - wall0
        log('* cloud started in %.0f s' % results['cloud']['start_s'])
        clients = Clients(cloud)
        steps = (('one_image', one_image), ('fleet', fleet))
        for name, fn in steps:
            if name not in sections:
                continue
            log('* %s' % name)
            wall0 = time.perf_counter()
            results[name] = fn(cloud, clients, settings, log)
            results['section_s'][name] = time.perf_counter() - wall0
            log('  done in %.0f s' % results['section_s'][name])
            common.save_json(results, output)
    finally:
        cloud.destroy()
    results['duration_s'] = time.perf_counter() - started
    # Other work on the machine weighs on every figure: say how much.
    results['load_average_end'] = list(os.getloadavg())
    results = common.round_results(results)
    common.save_json(results, output)
    return results


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='benchmarks/services.py',
        description='Benchmark OS::Glance::Image through heat-api, '
                    'heat-engine (convergence, 2 workers), RabbitMQ, '
                    'MariaDB, Keystone and Glance on 127.0.0.1.')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--quick', dest='mode', action='store_const',
                      const='quick', help='a stack of 10 images, fewer runs')
    mode.add_argument('--smoke', dest='mode', action='store_const',
                      const='smoke', help='3 images, one run each: checks '
                      'that the benchmark still works')
    parser.set_defaults(mode='full')
    parser.add_argument('--output', metavar='FILE',
                        help='where to write the JSON (default: '
                        'benchmarks/results/services-<mode>.json)')
    parser.add_argument('--only', metavar='SECTION', action='append',
                        choices=('one_image', 'fleet'),
                        help='run only this section (repeatable)')
    parser.add_argument('--report', metavar='FILE',
                        help='print the tables of a JSON results file')
    parser.add_argument('--rst', action='store_true',
                        help='with --report: print reStructuredText')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if REPO_ROOT not in sys.path:
        sys.path.insert(0, REPO_ROOT)
    if args.report:
        with open(args.report) as f:
            results = json.load(f)
        print(rst(results) if args.rst else text(results))
        return 0
    sections = args.only or ('one_image', 'fleet')
    output = args.output or os.path.join(
        REPO_ROOT, 'benchmarks', 'results', 'services-%s.json' % args.mode)
    print('Benchmarks through the services (%s mode), started %s' % (
        args.mode, time.strftime('%H:%M:%S')))
    sys.stdout.flush()
    results = run(args.mode, sections, output,
                  log=lambda msg: print(msg, flush=True))
    m = results['machine']
    print('\n%d CPUs (%s), %s GiB RAM, Python %s, heat %s, glance %s, %s\n'
          % (m['nproc'], m['cpu_model'], m['ram_gib'], m['python'],
             m['versions']['openstack-heat'], m['versions']['glance'],
             m['versions']['mariadb']))
    print(text(results))
    print('Took %.0f s; figures written to %s' % (
        results['duration_s'], output))
    return 0


if __name__ == '__main__':
    sys.exit(main())
