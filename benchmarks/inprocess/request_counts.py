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

"""Scenario: the Glance requests of each operation, per client.

The plugin and Heat's ``OS::Glance::WebImage`` through stack operations,
and openstacksdk the way Ansible's image module drives it.
"""

import time

from keystoneauth1 import session as ks_session
import openstack.connection

from benchmarks import common
from benchmarks.inprocess import bench as testbed
from benchmarks import templates
from tests.harness import glance as harness_glance
from tests.harness import heat

#: How long one operation of the request counts may take.
OP_TIMEOUT_MINS = 1

#: The operations after the create, each a stack update with the same
#: template: they must send nothing.
NOOPS = ('noop_same_template', 'noop_metadata_only', 'same_template_again')


def _operations(n):
    """The desired property maps, in order: ``[(op, map)]``."""
    base = common.props(n)
    one = dict(base)
    one[common.key(0)] = 'v1'
    half = dict(one)
    for i in range(max(1, n // 2)):
        half[common.key(i)] = 'v2'
    removed = dict(half)
    for i in range(n - max(1, n // 4), n):
        del removed[common.key(i)]
    return [('create', base), ('change_one', one), ('change_half', half),
            ('remove_some', removed)]


def _heat_client_ops(bench, n, resource_type, map_name):
    url = bench.image_url(64 * 1024)
    out = {}

    def tmpl(mapping, metadata=None):
        return templates.one_image(mapping, resource_type=resource_type,
                                   map_name=map_name, metadata=metadata)

    stk = None
    current = None
    metadata = None
    steps = _operations(n) + [(op, None) for op in NOOPS]
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
                    testbed.payload(64 * 1024), counter)
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
                common.fail('%s %s: %s', resource_type, op, error)
        record = common.describe_requests(seen)
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
                    common.fail('sdk import failed')
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
            record = common.describe_requests(counter.since())
            record.update({
                'state': 'COMPLETE', 'error': None, 'image_replaced': False,
                'properties_ok': bench.live_props(image_id) == mapping,
            })
        out[op] = record
        current = mapping
    conn.image.delete_image(image_id)
    return out


def requests_per_operation(bench, n):
    clients = {
        'plugin': _heat_client_ops(bench, n, 'OS::Glance::Image',
                                   'properties'),
        'heat_webimage': _heat_client_ops(bench, n, 'OS::Glance::WebImage',
                                          'extra_properties'),
    }
    if testbed.eventlet_patched():
        # Older Heat releases set up eventlet for their test package, and
        # openstacksdk then hangs in this process.
        clients['openstacksdk'] = {
            'skipped': 'openstacksdk does not run in an eventlet-patched '
                       'process (Heat before 2025.1 in-process)'}
    else:
        clients['openstacksdk'] = _sdk_ops(bench, n)
    return {'n_properties': n, 'clients': clients}
