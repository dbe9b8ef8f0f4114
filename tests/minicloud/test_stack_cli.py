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

"""Stacks through heat-api and heat-engine services, driven by the CLI.

The tests drive the mini-cloud (see :mod:`tests.minicloud.base`) only
with the ``openstack`` command, as the member user ``demo``, except where
a check needs the raw HTTP status.
"""

import os
import time
import uuid

import yaml

from tests.harness import glance as harness_glance
from tests.minicloud import base
from tests.minicloud import cloud as minicloud

TEMPLATE = base.TEMPLATE
free_properties = base.free_properties


class MiniCloudStackTest(base.MiniCloudTestCase):
    """Stacks of images through the services, one engine or the other."""

    # -- tests ----------------------------------------------------------

    def test_plugin_loaded_only_through_plugin_dirs(self):
        # heat.conf names exactly what "heat-glance-props plugin-dir"
        # prints; nothing else tells Heat about the plugin.
        with open(self.cloud.heat_conf) as f:
            conf = f.read()
        self.assertIn('\nplugin_dirs = %s\n' % self.cloud.plugin_dir, conf)
        self.assertTrue(os.path.isdir(self.cloud.plugin_dir))

        # The API lists the type (Heat's own placeholder is hidden and has
        # an empty schema) with the plugin's properties.
        types = self.openstack('orchestration', 'resource', 'type', 'list',
                               '-f', 'value').stdout.split()
        self.assertIn('OS::Glance::Image', types)
        shown = self.openstack_json('orchestration', 'resource', 'type',
                                    'show', 'OS::Glance::Image')
        self.assertIn('properties', shown['properties'])
        self.assertTrue(shown['properties']['properties']['update_allowed'])
        self.assertEqual('SUPPORTED', shown['support_status']['status'])
        self.assertEqual('Provided by the heat-glance-props plugin.',
                         shown['support_status']['message'])

        # Every heat-engine service loads it.
        self.assertEqual(2, len(self.cloud.engine_logs))
        for path in self.cloud.engine_logs.values():
            with open(path) as f:
                log = f.read()
            self.assertIn("Changing OS::Glance::Image from <class 'heat."
                          "engine.resources.openstack.glance.image."
                          "GlanceImage'> to <class 'heat_glance_props."
                          "resources.image.GlanceImage'>", log)

    def test_create_update_check_delete_in_place(self):
        url = self.cloud.data.add('img-%s' % uuid.uuid4().hex, size=65536)

        # Create from the shipped template, exactly as a user would.
        name = self.create_stack('props', TEMPLATE, url)
        self.assertEqual('CREATE_COMPLETE', self.stack_status(name))
        engine = self.openstack_json('stack', 'show', name)
        image_id = self.openstack_json(
            'stack', 'output', 'show', name, 'image_id')['output_value']
        image = self.image(image_id)
        self.assertEqual('active', image['status'])
        self.assertEqual('demo-image', image['name'])
        self.assertEqual(engine['parameters']['OS::project_id'],
                         image['owner'])
        self.assert_properties({'os_distro': 'ubuntu',
                                'hw_disk_bus': 'virtio',
                                'hw_qemu_guest_agent': 'True',
                                'hw_video_ram': '64',
                                'owner_team': 'image-builders'}, image_id)

        # Change one key, add one, remove one: an in-place update.
        with open(TEMPLATE) as f:
            tmpl = yaml.safe_load(f)
        props = tmpl['resources']['image']['properties']['properties']
        props['hw_video_ram'] = 128
        props['hw_rng_model'] = 'virtio'
        del props['owner_team']
        self.openstack('stack', 'update', '--wait',
                       '-t', self.write_template(tmpl),
                       '--parameter', 'image_url=%s' % url, name)
        self.assertEqual('UPDATE_COMPLETE', self.stack_status(name))
        self.assertEqual(image_id, self.openstack_json(
            'stack', 'output', 'show', name, 'image_id')['output_value'])
        resource = self.openstack_json('stack', 'resource', 'show', name,
                                       'image')
        self.assertEqual(image_id, resource['physical_resource_id'])
        self.assertEqual('UPDATE_COMPLETE', resource['resource_status'])
        updated = self.image(image_id)
        self.assertEqual(image['created_at'], updated['created_at'])
        self.assertEqual('active', updated['status'])
        self.assert_properties({'os_distro': 'ubuntu',
                                'hw_disk_bus': 'virtio',
                                'hw_qemu_guest_agent': 'True',
                                'hw_video_ram': '128',
                                'hw_rng_model': 'virtio'}, image_id)
        # Only this one image exists: no replacement was created.
        images = self.openstack_json('image', 'list', user='admin')
        self.assertEqual([image_id],
                         [i['ID'] for i in images if i['Name'] ==
                          'demo-image'])

        self.assert_check_complete(name)

        self.openstack('stack', 'delete', '--yes', '--wait', name)
        gone = self.openstack('image', 'show', image_id, user='admin',
                              check=False)
        self.assertNotEqual(0, gone.returncode)
        self.assertIn('No Image found', gone.stderr)

    def test_validation_error_is_a_400_naming_the_key(self):
        url = self.cloud.data.add('img-%s' % uuid.uuid4().hex)
        with open(TEMPLATE) as f:
            tmpl = yaml.safe_load(f)
        props = tmpl['resources']['image']['properties']['properties']
        props['os_glance_secret'] = 'x'
        name = 'bad-%s' % uuid.uuid4().hex[:8]

        # The raw API answer: 400 and a message that names the key.
        sess = self.member_session()
        with open(self.write_template(tmpl)) as f:
            body = f.read()
        resp = sess.post(
            '%s/v1/%s/stacks' % (self.cloud.heat_url,
                                 sess.get_project_id()),
            json={'stack_name': name, 'template': body,
                  'parameters': {'image_url': url}},
            raise_exc=False)
        self.assertEqual(400, resp.status_code, resp.text)
        error = resp.json()['error']
        self.assertEqual('StackValidationFailed', error['type'])
        self.assertIn('os_glance_secret', error['message'])

        # The CLI shows the same message and creates nothing.
        proc = self.openstack('stack', 'create', '-t',
                              self.write_template(tmpl), '--parameter',
                              'image_url=%s' % url, name, check=False)
        self.assertNotEqual(0, proc.returncode)
        self.assertIn('os_glance_secret', proc.stderr)
        self.assertNotIn(name, self.openstack(
            'stack', 'list', '-f', 'value', '-c', 'Stack Name').stdout)

    def test_check_then_converge_in_place(self):
        url = self.cloud.data.add('img-%s' % uuid.uuid4().hex, size=65536)
        name = self.create_stack('drift', TEMPLATE, url)
        image_id = self.physical_id(name)
        creates = self.image_creates()

        # The image's owner changes a managed key and adds one of its own.
        self.openstack('image', 'set', '--property', 'hw_video_ram=256',
                       '--property', 'oob=kept', image_id)
        self.openstack('stack', 'check', '--wait', name, check=False)
        self.assertEqual('CHECK_FAILED', self.stack_status(name))
        reason = self.openstack_json('stack', 'resource', 'show', name,
                                     'image')['resource_status_reason']
        self.assertIn("key 'hw_video_ram' is '256' in Glance (template: "
                      "'64')", reason)
        self.assertIn('--converge', reason)

        # What the check says to do: the same image, the key restored.
        self.openstack('stack', 'update', '--existing', '--converge',
                       '--wait', name)
        self.assert_updated_in_place(name, image_id, creates, {
            'os_distro': 'ubuntu', 'hw_disk_bus': 'virtio',
            'hw_qemu_guest_agent': 'True', 'hw_video_ram': '64',
            'owner_team': 'image-builders', 'oob': 'kept'})
        self.assert_check_complete(name)

    def test_web_image_stack_moves_to_the_plugin_in_place(self):
        migration = os.path.join(minicloud.REPO_ROOT, 'heat_templates',
                                 'migration')
        # Heat's WebImage patches the image while Glance imports it, which
        # can leave the image queued for ever: the data is served after
        # that PATCH (see harness_glance.DataAfterPatch).
        counter = harness_glance.RequestCounter(self.cloud.glance)
        gate = harness_glance.DataAfterPatch(os.urandom(65536), counter)
        url = self.cloud.data.add('img-%s' % uuid.uuid4().hex, data=gate)
        name = self.create_stack(
            'move', os.path.join(migration, 'web_image.yaml'), url)
        self.assertFalse(gate.timed_out)
        image_id = self.physical_id(name)
        # Heat's WebImage sets its keys while Glance imports, and Glance
        # may lose them: once the import is over, say what the image has.
        for _ in range(300):
            if not self.raw_image(image_id).get('os_glance_import_task'):
                break
            time.sleep(0.1)
        self.openstack('image', 'set', '--property', 'hw_disk_bus=virtio',
                       '--property', 'oob=kept', image_id)
        creates = self.image_creates()

        self.openstack('stack', 'update', '--wait', '-t',
                       os.path.join(migration, 'image.yaml'),
                       '--parameter', 'image_url=%s' % url, name)
        self.assertEqual('UPDATE_COMPLETE', self.stack_status(name))
        resource = self.openstack_json('stack', 'resource', 'show', name,
                                       'image')
        self.assertEqual('OS::Glance::Image', resource['resource_type'])
        self.assertEqual(image_id, resource['physical_resource_id'])
        self.assertEqual(creates, self.image_creates())
        self.assert_properties({'os_distro': 'ubuntu',
                                'hw_disk_bus': 'virtio',
                                'owner_team': 'image-builders',
                                'hw_rng_model': 'virtio',
                                'oob': 'kept'}, image_id)
        self.assert_check_complete(name)

    def test_images_side_by_side_created_and_updated_concurrently(self):
        # Several images with no depends_on between them: heat-engine's
        # two workers create, and then update, them at the same time, and
        # Keystone, Glance and Heat take the concurrent writes on MariaDB.
        # They all depend on one OS::Heat::None: the convergence engine
        # starts the leaves of a stack's graph one second apart, and the
        # images of a fan-out all at once, when the root is done.
        count = 5
        url = self.cloud.data.add('img-%s' % uuid.uuid4().hex, size=65536)

        def template(version):
            resources = {'root': {'type': 'OS::Heat::None'}}
            for i in range(count):
                props = {'hw_disk_bus': 'virtio',
                         'image_index': str(i),
                         'version': str(version)}
                if version == 1:
                    props['owner_team'] = 'image-builders'
                else:
                    props['hw_rng_model'] = 'virtio'
                resources['image%d' % i] = {
                    'type': 'OS::Glance::Image', 'depends_on': 'root',
                    'properties': {
                        'name': 'side-by-side-%d' % i,
                        'disk_format': 'raw', 'container_format': 'bare',
                        'location': {'get_param': 'image_url'},
                        'properties': props}}
            return {'heat_template_version': '2021-04-16',
                    'parameters': {'image_url': {'type': 'string'}},
                    'resources': resources}

        def physical_ids(name):
            listed = [r for r in self.openstack_json(
                'stack', 'resource', 'list', name)
                if r['resource_type'] == 'OS::Glance::Image']
            self.assertEqual(count, len(listed))
            return dict((r['resource_name'], r['physical_resource_id'])
                        for r in listed)

        creates = self.image_creates()
        name = self.create_stack('side', self.write_template(template(1)),
                                 url)
        self.assertEqual('CREATE_COMPLETE', self.stack_status(name))
        ids = physical_ids(name)
        self.assertEqual(count, len(set(ids.values())))
        self.assertEqual(creates + count, self.image_creates())
        for i in range(count):
            image_id = ids['image%d' % i]
            self.assertEqual('active', self.raw_image(image_id)['status'])
            self.assertEqual({'hw_disk_bus': 'virtio',
                              'image_index': str(i), 'version': '1',
                              'owner_team': 'image-builders'},
                             free_properties(self.raw_image(image_id)))

        # Every image changes: all updated in place, at the same time.
        self.openstack('stack', 'update', '--wait', '-t',
                       self.write_template(template(2)),
                       '--parameter', 'image_url=%s' % url, name)
        self.assertEqual('UPDATE_COMPLETE', self.stack_status(name))
        self.assertEqual(ids, physical_ids(name))
        self.assertEqual(creates + count, self.image_creates())
        for i in range(count):
            self.assertEqual({'hw_disk_bus': 'virtio',
                              'image_index': str(i), 'version': '2',
                              'hw_rng_model': 'virtio'},
                             free_properties(self.raw_image(
                                 ids['image%d' % i])))
