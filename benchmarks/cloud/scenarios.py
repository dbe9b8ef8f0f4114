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

"""Scenarios through the services; each returns data for the JSON.

Two comparisons, their variants alternating (A B C, C B A, ...):

``one_image``
    One property of one image changes: ``openstack stack update --wait``
    (the CLI, wall time until it returns on UPDATE_COMPLETE), the same
    update through Heat's API (heatclient, polling the stack), ``openstack
    image set --property``, and openstacksdk ``update_image_properties``
    and ``image.update_image``.
``fleet``
    Every property of every image of a stack of many images changes, at
    several stack sizes: in place and by replacement (a new
    ``image_url``), each on a stack whose images are side by side (no
    ``depends_on``: every image is a leaf of Heat's graph) and on one whose
    images all hang from one common root (an ``OS::Heat::None``), and as a
    loop of openstacksdk calls, one per image.

The run of many updates in a row (the engine thread groups) is
:mod:`benchmarks.cloud.longlived`.

Each change sets new values and is checked afterwards (the properties in
Glance, the image ids kept or all new), outside the timing.
"""

import os
import uuid

from benchmarks.cloud import probe
from benchmarks import common
from benchmarks import templates

#: How often the API variants ask Heat for the stack's status.
POLL_S = {'one_image': 0.1, 'fleet': 0.5}

#: The variants of each scenario, in the order they alternate, and their
#: titles (the report's and the plots').
ONE_IMAGE = (
    ('stack_update_cli', 'openstack stack update --wait'),
    ('stack_update_api', 'stack update through the API (heatclient)'),
    ('image_set_cli', 'openstack image set --property'),
    ('sdk_update_image_properties',
     'openstacksdk get_image + update_image_properties'),
    ('sdk_update_image', 'openstacksdk image.update_image (by id)'),
)
#: Each update of a stack of 50 images adds about 100 resource events,
#: and heat-engine 25 to 27 keep a finished thread per event in the
#: stack's thread group of the engine worker, up to 1000: the cloud runs
#: with the plugin's remedy on (prune_finished_engine_threads), or these
#: runs would stop there (doc/source/operators-engines.rst).
FLEET = (
    ('in_place', 'stack update, in place (side by side)'),
    ('replacement', 'stack update, replacement (side by side)'),
    ('root_in_place', 'stack update, in place (common root)'),
    ('root_replacement', 'stack update, replacement (common root)'),
    ('sdk_loop', 'loop of openstacksdk get_image + '
                 'update_image_properties'),
)

#: The shapes of the stacks of images: ``(name, shape of
#: benchmarks.templates, title)``.
SHAPES = (
    ('side_by_side', 'side_by_side', 'side by side'),
    ('common_root', 'fan_out', 'common root'),
)

#: The variants measured on each shape's stack (``sdk_loop`` changes the
#: images of the side-by-side stack).
ON_SHAPE = {
    'in_place': 'side_by_side', 'replacement': 'side_by_side',
    'root_in_place': 'common_root', 'root_replacement': 'common_root',
    'sdk_loop': 'side_by_side',
}


def _stack(count, n, value, prefix, shape='side_by_side'):
    return templates.images(count, common.props(n, value), prefix, shape)


def _variants(runs):
    return dict((name, probe.summarise(samples))
                for name, samples in runs.items())


# 1. One property of one image ----------------------------------------------

def one_image(cloud, clients, settings, log):
    n = settings['n_properties']
    url = cloud.data.add('bench-one-%s' % uuid.uuid4().hex[:8],
                         size=settings['size_kib'] * 1024)
    state = {'round': 0}
    # The stack's image.
    current = common.props(n, 'v0')
    stack_name = 'bench-one-%s' % uuid.uuid4().hex[:6]
    stack_id = clients.create_stack(
        stack_name, _stack(1, n, 'v0', 'bench-one-stack'), url,
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
        sample = probe.measured(cloud, fn)
        if clients.free_properties(image_id) != expected:
            common.fail('%s has the wrong properties after the change',
                        image_id)
        return sample

    def stack_change(via_cli):
        value = next_value()
        current[common.key(0)] = value
        new = _stack(1, n, 'v0', 'bench-one-stack')
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
            common.fail('the stack update replaced the image')
        return sample

    def direct_change(how):
        value = next_value()
        direct[common.key(0)] = value

        def fn():
            if how == 'cli':
                clients.cli('image', 'set', '--property',
                            '%s=%s' % (common.key(0), value), direct_image)
            elif how == 'properties':
                img = sdk.image.get_image(direct_image)
                sdk.image.update_image_properties(
                    image=img, **{common.key(0): value})
            else:
                sdk.image.update_image(direct_image,
                                       **{common.key(0): value})
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
            'reps': settings['one_reps'], 'variants': _variants(runs)}


# 2. A stack of many images -------------------------------------------------

class _Stack(object):
    """One stack of ``count`` images of one shape, and what it holds."""

    def __init__(self, clients, count, n, shape, poll):
        self.clients = clients
        self.count = count
        self.n = n
        self.shape = shape
        self.poll = poll
        self.url = None
        self.stack_id = None

    def template(self, value):
        return _stack(self.count, self.n, value, 'bench-svc', self.shape)

    def create(self, url, value):
        name = 'bench-fleet-%s' % uuid.uuid4().hex[:6]
        self.url = url
        self.stack_id = self.clients.create_stack(
            name, self.template(value), url, self.poll)
        if len(self.image_ids()) != self.count:
            common.fail('the stack has %d images, not %d',
                        len(self.image_ids()), self.count)

    def update(self, value, url):
        self.clients.update_stack(self.stack_id, self.template(value), url,
                                  self.poll)
        self.url = url

    def delete(self):
        self.clients.delete_stack(self.stack_id, self.poll)

    def image_ids(self):
        return self.clients.image_ids(self.stack_id)


def fleet(cloud, clients, settings, log):
    n = settings['n_properties']
    sizes = []
    for count in settings['fleet_sizes']:
        log('  %d images' % count)
        sizes.append(_fleet_size(cloud, clients, settings, count))
    return {'n_properties': n, 'size_kib': settings['size_kib'],
            'reps': settings['fleet_reps'], 'sizes': sizes}


def _fleet_size(cloud, clients, settings, count):
    """The variants of :data:`FLEET` on stacks of ``count`` images."""
    n = settings['n_properties']
    poll = POLL_S['fleet']
    data = os.urandom(settings['size_kib'] * 1024)
    urls = [cloud.data.add('bench-fleet-a-%s' % uuid.uuid4().hex[:8], data),
            cloud.data.add('bench-fleet-b-%s' % uuid.uuid4().hex[:8], data)]
    state = {'round': 0}
    stacks = dict((name, _Stack(clients, count, n, shape, poll))
                  for name, shape, _title in SHAPES)
    create = {}
    for name, _shape, _title in SHAPES:
        create[name] = probe.measured(
            cloud, lambda s=stacks[name]: s.create(urls[0], 'v0'))

    def check_all(image_ids, value):
        want = common.props(n, value)
        for image_id in image_ids:
            if clients.free_properties(image_id) != want:
                common.fail('image %s has stale properties', image_id)

    def next_value():
        state['round'] += 1
        return 'r%d' % state['round']

    def in_place(stack):
        value = next_value()
        before = stack.image_ids()
        sample = probe.measured(cloud, lambda: stack.update(value,
                                                            stack.url))
        if stack.image_ids() != before:
            common.fail('an in-place update replaced images')
        check_all(before.values(), value)
        return sample

    def replacement(stack):
        value = next_value()
        url = urls[1] if stack.url == urls[0] else urls[0]
        before = set(stack.image_ids().values())
        sample = probe.measured(cloud, lambda: stack.update(value, url))
        after = stack.image_ids()
        if before & set(after.values()):
            common.fail('a location change kept some images')
        check_all(after.values(), value)
        return sample

    def sdk_loop(stack):
        value = next_value()
        image_ids = list(stack.image_ids().values())
        sdk = clients.sdk

        def loop():
            for image_id in image_ids:
                img = sdk.image.get_image(image_id)
                sdk.image.update_image_properties(
                    image=img, **common.props(n, value))
        sample = probe.measured(cloud, loop)
        check_all(image_ids, value)
        return sample

    how = {'in_place': in_place, 'replacement': replacement,
           'root_in_place': in_place, 'root_replacement': replacement,
           'sdk_loop': sdk_loop}
    runs = common.alternate(
        [(variant, lambda v=variant: how[v](stacks[ON_SHAPE[v]]))
         for variant, _title in FLEET], settings['fleet_reps'])
    delete = {}
    for name, _shape, _title in SHAPES:
        delete[name] = probe.measured(cloud, stacks[name].delete)
    return {'images': count, 'create': create, 'delete': delete,
            'variants': _variants(runs)}
