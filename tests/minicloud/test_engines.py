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

"""Two heat-engine services on one RabbitMQ and database, one heat-api.

Every engine worker listens on the same RPC topics: heat-api's request
goes to whichever worker takes it, and so does each resource of a
convergence operation. To say which engine does an operation, the tests
run it while the other engine is stopped (cleanly: its workers
unregister, and RabbitMQ hands it no message).
"""

import os
import time
import uuid

import yaml

from tests.minicloud import base
from tests.minicloud import common


class HeatEnginesTest(base.MiniCloudTestCase):

    def engines(self):
        first, second = self.cloud.engines.values()
        return first, second

    def wait_for_holders(self, stack_id, timeout=60):
        """The first non-empty ``resource_holders`` of the stack."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            held = self.cloud.heat.resource_holders(stack_id)
            if held:
                return held
            time.sleep(0.2)
        self.fail('no engine held a resource of %s in %ss' % (stack_id,
                                                              timeout))

    def test_created_through_one_engine_updated_in_place_through_other(self):
        first, second = self.engines()
        self.assertNotEqual(first.host, second.host)
        self.assertEqual(set([first.host, second.host]),
                         set(host for _id, host in
                             self.cloud.heat.workers()))
        since = dict((e.host, e.log_size()) for e in (first, second))

        # The create, with only the first engine running. Glance's import
        # waits for the data until the test has seen who holds the image.
        second.stop()
        held = base.HeldData(os.urandom(65536))
        url = self.cloud.data.add('img-%s' % uuid.uuid4().hex, data=held)
        name = self.create_stack('engines', base.TEMPLATE, url, wait=False)
        # Cleanups run last first: data, engines, then the stack delete.
        self.addCleanup(self.cloud.heat.start_engines)
        self.addCleanup(held.release)
        stack_id = self.openstack_json('stack', 'show', name)['id']
        # Heat's own records: the worker holding the image resource
        # (resource.engine_id) is one of the first engine's.
        self.assertEqual({'image': first}, self.wait_for_holders(stack_id))
        held.release()
        self.assertEqual('CREATE_COMPLETE', self.wait_stack(name))
        self.assertEqual({}, self.cloud.heat.resource_holders(stack_id))
        image_id = self.physical_id(name)
        creates = self.image_creates()

        # The update, with only the second engine running.
        second.start()
        first.stop()
        with open(base.TEMPLATE) as f:
            tmpl = yaml.safe_load(f)
        props = tmpl['resources']['image']['properties']['properties']
        props['hw_video_ram'] = 128
        del props['owner_team']
        self.openstack('stack', 'update', '--wait',
                       '-t', self.write_template(tmpl),
                       '--parameter', 'image_url=%s' % url, name)
        first.start()

        # In place, judged by Glance: the same image, no image created.
        self.assert_updated_in_place(name, image_id, creates, {
            'os_distro': 'ubuntu', 'hw_disk_bus': 'virtio',
            'hw_qemu_guest_agent': 'True', 'hw_video_ram': '128'})

        # Each engine's log: the first created the stack and its image,
        # the second updated them.
        logs = dict((e.host, e.log_since(since[e.host]))
                    for e in (first, second))
        created = ('Creating stack %s' % name,
                   'creating GlanceImage "image" Stack "%s" [%s]' % (
                       name, stack_id))
        updated = ('Updating stack %s' % name,
                   'updating GlanceImage "image" [%s] Stack "%s" [%s]' % (
                       image_id, name, stack_id))
        for line in created:
            self.assertIn(line, logs[first.host])
            self.assertNotIn(line, logs[second.host])
        for line in updated:
            self.assertIn(line, logs[second.host])
            self.assertNotIn(line, logs[first.host])

    def test_engine_killed_and_restarted(self):
        first, second = self.engines()
        self.addCleanup(self.cloud.heat.start_engines)
        old_ids = second.engine_ids
        self.assertEqual(self.cloud.heat.workers_per_engine, len(old_ids))
        group = second.proc.pid
        self.assertEqual(1 + len(old_ids), len(common.group_members(group)))

        second.kill()
        # The master and every worker are gone at once, with no goodbye:
        # Heat's service table still lists the workers.
        self.assertFalse(second.running)
        self.assertEqual([], common.group_members(group))
        live = set(engine_id for engine_id, _host in
                   self.cloud.heat.workers())
        self.assertTrue(old_ids <= live)
        self.assertTrue(first.engine_ids <= live)

        second.start()
        self.assertTrue(second.running)
        self.assertEqual(len(old_ids), len(second.engine_ids))
        self.assertEqual(set(), old_ids & second.engine_ids)
        # Old and new engine ids map to the host that ran them.
        for engine_id in old_ids | second.engine_ids:
            self.assertIs(second, self.cloud.heat.engine_of(engine_id))
        for engine_id in first.engine_ids:
            self.assertIs(first, self.cloud.heat.engine_of(engine_id))
        self.assertIsNone(self.cloud.heat.engine_of(str(uuid.uuid4())))
