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

import testtools

from heat_glance_props import livestate

TEMPLATE = {
    'id': None, 'name': 'img', 'disk_format': 'qcow2',
    'container_format': 'bare', 'location': 'http://x/img',
    'min_disk': 0, 'min_ram': 0, 'protected': False, 'visibility': None,
    'owner': None, 'tags': ['t1', 't2'], 'os_distro': '',
    'architecture': None, 'active': True, 'members': None,
    'properties': {'a': '1', 'b': '2'}, 'extra_properties': {'x': 'y'},
}

# What Glance has after converting to raw and injecting keys.
LIVE = {
    'id': 'abc', 'name': 'img', 'disk_format': 'raw',
    'container_format': 'bare', 'size': 1024, 'virtual_size': 1024,
    'checksum': 'c', 'os_hash_algo': 'sha512', 'os_hash_value': 'h',
    'min_disk': 0, 'min_ram': 0, 'protected': False,
    'visibility': 'private', 'owner': 'project-a', 'os_hidden': False,
    'stores': 'local', 'tags': ['oob', 't1'], 'status': 'active',
    'architecture': 'x86_64', 'injected_site': 'edge-1',
    'a': '1', 'x': 'y', 'unmanaged': 'kept',
}


class ObserveTest(testtools.TestCase):

    def test_what_glance_changes_on_its_own_is_not_observed(self):
        observed = livestate.observe(TEMPLATE, LIVE)
        for key in ('id', 'disk_format', 'container_format', 'location',
                    'owner', 'architecture', 'os_distro', 'members'):
            self.assertNotIn(key, observed)
        self.assertNotIn('injected_site', observed['properties'])
        self.assertNotIn('unmanaged', observed['properties'])

    def test_managed_values_are_observed(self):
        observed = livestate.observe(TEMPLATE, LIVE)
        self.assertEqual({'a': '1', 'b': None}, observed['properties'])
        self.assertEqual({'x': 'y'}, observed['extra_properties'])
        self.assertEqual('img', observed['name'])
        self.assertEqual('private', observed['visibility'])
        self.assertEqual(0, observed['min_disk'])
        self.assertIs(True, observed['active'])

    def test_tags_only_those_of_the_template(self):
        observed = livestate.observe(TEMPLATE, LIVE)
        self.assertEqual(['t1'], observed['tags'])
        self.assertNotIn('tags', livestate.observe(
            dict(TEMPLATE, tags=None), LIVE))

    def test_set_first_class_and_owner_are_observed(self):
        observed = livestate.observe(
            dict(TEMPLATE, architecture='aarch64', owner='p'), LIVE)
        self.assertEqual('x86_64', observed['architecture'])
        self.assertEqual('project-a', observed['owner'])

    def test_hidden_is_glances_os_hidden_when_set(self):
        # Not set: an image hidden outside the template stays hidden.
        self.assertNotIn('hidden', livestate.observe(
            TEMPLATE, dict(LIVE, os_hidden=True)))
        for wanted in (False, True):
            template = dict(TEMPLATE, hidden=wanted)
            self.assertIs(False, livestate.observe(template, LIVE)['hidden'])
            observed = livestate.observe(template,
                                         dict(LIVE, os_hidden=True))
            self.assertIs(True, observed['hidden'])
            self.assertNotIn('os_hidden', observed)

    def test_to_observe_adds_what_the_new_template_starts_to_manage(self):
        stored = dict(TEMPLATE, name='', hidden=None, owner='p')
        new = dict(stored, hidden=True, name='img', owner='q',
                   properties={'z': '9'})
        wanted = livestate.to_observe(stored, new)
        self.assertEqual((True, 'img', 'p'), (
            wanted['hidden'], wanted['name'], wanted['owner']))
        # The maps stay the stored ones.
        self.assertEqual(TEMPLATE['properties'], wanted['properties'])
        self.assertIsNone(stored['hidden'])

    def test_first_class_keys_in_a_map_are_observed_there(self):
        # A key of a first-class property that the template sets in a
        # map: compared there, whatever the first-class property says.
        template = dict(TEMPLATE, properties={'architecture': 'aarch64'},
                        extra_properties={'os_distro': 'ubuntu'})
        observed = livestate.observe(template, LIVE)
        self.assertEqual({'architecture': 'x86_64'}, observed['properties'])
        self.assertEqual({'os_distro': None}, observed['extra_properties'])
        self.assertNotIn('architecture', observed)
        # Set in both places (the same value): observed in both.
        observed = livestate.observe(
            dict(template, architecture='aarch64'), LIVE)
        self.assertEqual('x86_64', observed['architecture'])
        self.assertEqual({'architecture': 'x86_64'}, observed['properties'])

    def test_pending_keys_are_read_back(self):
        observed = livestate.observe(
            TEMPLATE, LIVE, pending=livestate.Pending(['unmanaged', 'x']))
        self.assertEqual('kept', observed['properties']['unmanaged'])
        # A key of extra_properties stays in that map.
        self.assertNotIn('x', observed['properties'])

    def test_deactivated(self):
        observed = livestate.observe(TEMPLATE,
                                     dict(LIVE, status='deactivated'))
        self.assertIs(False, observed['active'])

    def test_stores_only_those_of_the_template(self):
        live = dict(LIVE, stores='local,edge')
        self.assertNotIn('stores', livestate.observe(TEMPLATE, live))
        observed = livestate.observe(dict(TEMPLATE, stores=['fast', 'local']),
                                     live)
        self.assertEqual(['local'], observed['stores'])

    def test_pending_items_are_read_back(self):
        # An update that never completed added tag 'new', store 'fast'
        # and member 'p2'; the template (a rollback) has none of them.
        pending = livestate.Pending(items={'tags': ['new', 'gone'],
                                           'stores': ['fast', 'slow'],
                                           'members': ['p2']})
        live = dict(LIVE, tags=['oob', 't1', 'new'], stores='local,fast',
                    members=['p1', 'p2'])
        template = dict(TEMPLATE, stores=['local'], members=['p1'])
        observed = livestate.observe(template, live, pending)
        self.assertEqual(['t1', 'new'], observed['tags'])
        self.assertEqual(['local', 'fast'], observed['stores'])
        self.assertEqual(['p1', 'p2'], observed['members'])
        # A store Glance is still copying to counts as one the image is in.
        live.update(stores='local', os_glance_importing_to_stores='fast',
                    os_glance_import_task='t1')
        self.assertEqual(['local', 'fast'],
                         livestate.observe(template, live, pending)['stores'])
        # Not once no task holds the image: that list is stale.
        live.update(os_glance_import_task='')
        self.assertEqual(['local'],
                         livestate.observe(template, live, pending)['stores'])
        # Not read back without the update's record, nor members without
        # their live list.
        observed = livestate.observe(template, dict(LIVE, stores='local,fast'))
        self.assertEqual(['t1'], observed['tags'])
        self.assertEqual(['local'], observed['stores'])
        self.assertNotIn('members', observed)


class PendingTest(testtools.TestCase):

    def test_record_and_load(self):
        from heat_glance_props.glance import plan
        from heat_glance_props import imageprops
        first = plan.Changes(imageprops.compute_patch({'a': '1'}, {'b': '2'}),
                             {}, (['t'], []), ([], ['p']), None,
                             (['fast'], []))
        data = livestate.Pending.load({}).record(first)
        pending = livestate.Pending.load(data)
        self.assertEqual({'a', 'b'}, pending.keys)
        self.assertEqual({'tags': ['t'], 'members': ['p'],
                          'stores': ['fast']}, pending.items)
        # A second update that does not complete either adds to it.
        second = plan.Changes(imageprops.compute_patch({}, {'c': '3'}),
                              {}, ([], ['u']), ([], []), None, ([], []))
        pending = livestate.Pending.load(pending.record(second))
        self.assertEqual({'a', 'b', 'c'}, pending.keys)
        self.assertEqual(['t', 'u'], pending.items['tags'])
        self.assertTrue(pending)
        self.assertFalse(livestate.Pending.load({}))
        # What an older plugin stored (keys only) still loads.
        self.assertEqual({'a'}, livestate.Pending.load(
            {'pending_keys': '["a"]'}).keys)
