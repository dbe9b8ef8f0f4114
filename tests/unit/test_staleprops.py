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

"""The comparison behind ``heat-glance-props stale-servers``.

The requests themselves are tested against the mini-cloud's real Glance,
Nova and Heat (tests/minicloud/test_nova.py); here, what is compared.
"""

import json

import testtools

from heat_glance_props import catalog
from heat_glance_props import staleprops

Difference = staleprops.Difference


class ShownKeysTest(testtools.TestCase):

    def test_nova_schema_names_and_legacy_names_only(self):
        shown = staleprops.shown_keys()
        for key in ('hw_disk_bus', 'hw_video_ram', 'os_distro',
                    'img_config_drive', 'vm_mode', 'hypervisor_type',
                    'hw_numa_cpus', 'traits_required'):
            self.assertIn(key, shown)
        for key in ('hw_numa_cpus.N', 'trait:NAME', 'owner_team',
                    'min_ram', 'os_hash_algo'):
            self.assertNotIn(key, shown)
        with open(catalog.NOVA_FILE) as f:
            self.assertEqual(len(json.load(f)) - 3, len(shown))


class NovaValueTest(testtools.TestCase):

    def test_values_are_cut_to_255_bytes_at_a_whole_character(self):
        self.assertEqual('a' * 255, staleprops.nova_value('a' * 300))
        self.assertEqual('a' * 255, staleprops.nova_value('a' * 255))
        # 128 two-byte letters are 256 bytes: 127 of them are kept.
        self.assertEqual('\u00e9' * 127,
                         staleprops.nova_value('\u00e9' * 128))
        self.assertEqual('64', staleprops.nova_value(64))
        self.assertIsNone(staleprops.nova_value(None))


class CompareTest(testtools.TestCase):

    def test_changed_added_and_removed_keys(self):
        image = {'hw_video_ram': '128', 'hw_rng_model': 'virtio',
                 'os_distro': 'ubuntu', 'owner_team': 'b'}
        at_build = {'hw_video_ram': '64', 'hw_disk_bus': 'virtio',
                    'os_distro': 'ubuntu'}
        self.assertEqual([
            Difference('hw_disk_bus', 'virtio', None),
            Difference('hw_rng_model', None, 'virtio'),
            Difference('hw_video_ram', '64', '128'),
        ], staleprops.compare(image, at_build))

    def test_up_to_date_server(self):
        image = {'hw_video_ram': '64', 'owner_team': 'b'}
        self.assertEqual([], staleprops.compare(image,
                                                {'hw_video_ram': '64'}))

    def test_long_values_compare_as_nova_keeps_them(self):
        value = 'x' * 300
        self.assertEqual([], staleprops.compare(
            {'os_command_line': value},
            {'os_command_line': value[:255]}))
        self.assertEqual([Difference('os_command_line', 'x' * 255,
                                     'y' * 255)],
                         staleprops.compare({'os_command_line': 'y' * 300},
                                            {'os_command_line': value[:255]}))

    def test_keys_nova_never_copies_are_not_compared(self):
        image = {'img_block_device_mapping': '[]', 'hw_disk_bus': 'ide'}
        self.assertEqual([Difference('hw_disk_bus', None, 'ide')],
                         staleprops.compare(image, {}))
        self.assertEqual(['img_block_device_mapping'],
                         staleprops.hidden_keys(image))


class FreePropertiesTest(testtools.TestCase):

    def test_glance_attributes_are_not_properties(self):
        image = {'id': 'x', 'name': 'n', 'status': 'active',
                 'disk_format': 'raw', 'min_ram': 0, 'tags': [],
                 'os_hash_algo': 'sha512', 'os_hidden': False,
                 'os_glance_import_task': 't', 'visibility': 'private',
                 'hw_disk_bus': 'virtio', 'owner_team': 'b',
                 'trait:CUSTOM_GOLD': 'required', 'hw_numa_cpus.0': '0'}
        props = staleprops.free_properties(image)
        self.assertEqual({'hw_disk_bus': 'virtio', 'owner_team': 'b',
                          'trait:CUSTOM_GOLD': 'required',
                          'hw_numa_cpus.0': '0'}, props)
        self.assertEqual(['hw_numa_cpus.0', 'owner_team',
                          'trait:CUSTOM_GOLD'],
                         staleprops.hidden_keys(props))


class OutputTest(testtools.TestCase):

    def report(self):
        return staleprops.ImageReport('img-1', 'app-image', [
            staleprops.Server('s-1', 'old', 'p-1', 'ACTIVE',
                              [Difference('hw_video_ram', '64', '128'),
                               Difference('hw_rng_model', None,
                                          'virtio')]),
            staleprops.Server('s-2', 'new', 'p-1', 'ACTIVE', []),
        ], ['owner_team'])

    def test_text(self):
        self.assertEqual([
            'image img-1 (app-image): 1 of 2 server(s) run on older '
            'properties',
            '  server s-1 (old, project p-1)',
            "    hw_video_ram: '64' at build, '128' now",
            "    hw_rng_model: not set at build, 'virtio' now",
            '  not shown by Nova, not compared: owner_team',
        ], list(staleprops.text_lines([self.report()])))

    def test_json(self):
        data = staleprops.as_dict(self.report())
        self.assertEqual('img-1', data['image'])
        self.assertEqual([True, False],
                         [s['stale'] for s in data['servers']])
        self.assertEqual({'key': 'hw_rng_model', 'at_build': None,
                          'now': 'virtio'},
                         data['servers'][0]['differences'][1])
        self.assertEqual(['owner_team'], data['not_shown_by_nova'])
        json.dumps(data)

    def test_exit_statuses_are_distinct(self):
        errors = (staleprops.Error, staleprops.NotFound,
                  staleprops.Forbidden, staleprops.NoEndpoint,
                  staleprops.NovaTooOld)
        statuses = [e.exit_status for e in errors] + [
            staleprops.EXIT_STALE, 0, 2]
        self.assertEqual(len(statuses), len(set(statuses)))
