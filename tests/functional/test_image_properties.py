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

"""OS::Glance::Image properties through real stacks and a real Glance."""

from glanceclient import exc as glance_exc

from tests.functional import base
from tests.harness import heat


class CreateTest(base.FunctionalTestCase):

    def test_create_sets_normalised_values(self):
        stk = self.create_stack(self.template(properties={
            'a_string': 'text', 'an_int': 5, 'a_bool': True,
            'a_false': False, 'a_float': 1.5, 'unset': None,
        }))
        self.assertEqual({'a_string': 'text', 'an_int': '5',
                          'a_bool': 'True', 'a_false': 'False',
                          'a_float': '1.5'}, self.props(stk))
        image = self.image(stk)
        self.assertEqual('active', image.status)
        self.assertEqual('private', image.visibility)
        self.assertEqual(heat.MEMBER[0], image.owner)

    def test_create_sends_the_map_in_the_creating_request(self):
        counter = self.counter()
        stk = self.create_stack(self.template(
            properties={'k1': 'v1', 'k2': 'v2'}, os_distro='fedora'))
        path = '/v2/images/%s' % self.image_id(stk)
        seen = [r for r in counter.since()
                if not r[1].startswith('/v2/schemas/')]
        # One POST creates the image with the whole map, then the import.
        self.assertEqual([['POST', '/v2/images'],
                          ['POST', path + '/import']], seen[:2])
        self.assertEqual(0, counter.count('PATCH'))
        self.assertEqual({'k1': 'v1', 'k2': 'v2', 'os_distro': 'fedora'},
                         self.props(stk))

    def test_create_with_empty_map_makes_no_patch(self):
        counter = self.counter()
        stk = self.create_stack(self.template())
        self.assertEqual(0, counter.count('PATCH'))
        self.assertEqual({}, self.props(stk))

    def test_delete_removes_the_image(self):
        stk = self.create_stack(self.template(properties={'k': 'v'}))
        image_id = self.image_id(stk)
        self.assertIn(image_id, self.all_image_ids())
        stk.delete()
        self.assertEqual(('DELETE', 'COMPLETE'), stk.state, stk.status_reason)
        self.assertRaises(glance_exc.HTTPNotFound, self.admin.images.get,
                          image_id)

    def test_special_keys_round_trip(self):
        keys = {'a/b': '1', '~1': '2', 'a b': '3', '~0/x~': '4',
                'a': 'plain', 'b': 'plain', 'ключ': 'значение'}
        stk = self.create_stack(self.template(properties=keys))
        self.assertEqual(keys, self.props(stk))
        changed = dict(keys)
        changed['a/b'] = 'changed'
        del changed['~1']
        self.update_stack(stk, self.template(properties=changed))
        self.assertEqual(changed, self.props(stk))


class UpdateTest(base.FunctionalTestCase):

    def test_change_add_remove_in_one_update_same_image(self):
        stk = self.create_stack(self.template(properties={
            'keep': 'same', 'change': 'old', 'remove': 'gone soon',
            'nulled': 'set'}))
        image_id = self.image_id(stk)
        counter = self.counter()
        self.update_stack(stk, self.template(properties={
            'keep': 'same', 'change': 'new', 'add': 42, 'nulled': None}))
        self.assertEqual(image_id, self.image_id(stk))
        # Removals are sent without a read: one request in all.
        self.assert_patches(counter, image_id, 1, reads=0)
        self.assertEqual(1, len(counter.since()))
        self.assertEqual({'keep': 'same', 'change': 'new', 'add': '42'},
                         self.props(stk))

    def test_rename_keeping_the_value_in_one_patch(self):
        # jsonpatch (inside glanceclient's images.update) would turn this
        # into a "move" operation, which Glance refuses with HTTP 400.
        stk = self.create_stack(self.template(properties={
            'old_name': 'same value', 'flag': True}))
        image_id = self.image_id(stk)
        counter = self.counter()
        self.update_stack(stk, self.template(properties={
            'new_name': 'same value', 'other_flag': True}))
        self.assert_patches(counter, image_id, 1, reads=0)
        self.assertEqual({'new_name': 'same value', 'other_flag': 'True'},
                         self.props(stk))

    def test_change_without_removal_is_a_single_request(self):
        stk = self.create_stack(self.template(properties={'a': '1'}))
        image_id = self.image_id(stk)
        counter = self.counter()
        self.update_stack(stk, self.template(properties={'a': '2',
                                                         'b': '3'}))
        self.assert_patches(counter, image_id, 1, reads=0)
        self.assertEqual({'a': '2', 'b': '3'}, self.props(stk))

    def test_no_change_makes_no_request(self):
        tmpl = self.template(properties={'k': 'v', 'n': 1})
        stk = self.create_stack(tmpl)
        counter = self.counter()
        self.update_stack(stk, tmpl)
        self.assertEqual([], counter.since())

    def test_equal_values_after_normalising_make_no_patch(self):
        stk = self.create_stack(self.template(properties={'n': 1, 'b': True}))
        counter = self.counter()
        self.update_stack(stk, self.template(properties={
            'n': '1', 'b': 'True'}))
        self.assertEqual(0, counter.count('PATCH'))

    def test_tags_only_update_reads_once_and_patches_once(self):
        stk = self.create_stack(self.template(properties={'k': 'v'},
                                              tags=['one']))
        image_id = self.image_id(stk)
        counter = self.counter()
        self.update_stack(stk, self.template(properties={'k': 'v'},
                                             tags=['two']))
        self.assert_patches(counter, image_id, 1, reads=1)
        image = self.image(stk)
        self.assertEqual(['two'], image.tags)
        self.assertEqual({'k': 'v'}, base.free_properties(image))

    def test_properties_and_five_tags_in_two_requests(self):
        stk = self.create_stack(self.template(
            properties={'a': '1', 'b': '2'}, tags=['t1', 't2', 't3']))
        image_id = self.image_id(stk)
        self.admin.images.update(image_id, oob='kept')
        self.admin.image_tags.update(image_id, 'oob-tag')
        counter = self.counter()
        self.update_stack(stk, self.template(
            properties={'a': '2', 'c': '3'},
            tags=['t1', 't4', 't5', 't6', 't7']))
        self.assertLessEqual(len(counter.since()), 2, counter.since())
        self.assert_patches(counter, image_id, 1, reads=1)
        image = self.image(stk)
        self.assertEqual(['oob-tag', 't1', 't4', 't5', 't6', 't7'],
                         sorted(image.tags))
        self.assertEqual({'a': '2', 'c': '3', 'oob': 'kept'},
                         base.free_properties(image))

    def test_removing_a_key_already_gone_reads_and_resends(self):
        stk = self.create_stack(self.template(properties={
            'a': '1', 'gone': 'x', 'b': '2'}))
        image_id = self.image_id(stk)
        self.admin.images.update(image_id, remove_props=['gone'],
                                 oob='kept')
        counter = self.counter()
        self.update_stack(stk, self.template(properties={'a': '3'}))
        # Glance refuses the first PATCH whole (the key is gone); one read,
        # then the same changes without that removal.
        self.assert_patches(counter, image_id, 2, reads=1)
        self.assertEqual({'a': '3', 'oob': 'kept'}, self.props(stk))

    def test_out_of_band_key_survives(self):
        stk = self.create_stack(self.template(properties={'mine': '1',
                                                          'other': 'x'}))
        image_id = self.image_id(stk)
        self.admin.images.update(image_id, oob_key='set by hand')
        self.update_stack(stk, self.template(properties={'mine': '2'}))
        self.update_stack(stk, self.template(properties={}))
        self.assertEqual({'oob_key': 'set by hand'}, self.props(stk))
        image = self.image(stk)
        self.assertTrue(image.os_hash_value)
        self.assertEqual('local', image.stores)

    def test_first_class_and_core_attributes_in_the_same_patch(self):
        stk = self.create_stack(self.template(properties={'k': 'v'},
                                              os_distro='ubuntu'))
        image_id = self.image_id(stk)
        counter = self.counter()
        self.update_stack(stk, self.template(
            properties={'k': 'w'}, os_distro='debian', name='renamed',
            min_ram=512))
        self.assert_patches(counter, image_id, 1, reads=0)
        image = self.image(stk)
        self.assertEqual('renamed', image.name)
        self.assertEqual(512, image.min_ram)
        self.assertEqual({'k': 'w', 'os_distro': 'debian'},
                         base.free_properties(image))

    def test_removing_a_first_class_property_removes_the_key(self):
        stk = self.create_stack(self.template(os_distro='ubuntu'))
        self.update_stack(stk, self.template())
        self.assertEqual({}, self.props(stk))

    def test_null_or_empty_first_class_property_is_not_set(self):
        stk = self.create_stack(self.template(os_distro=None,
                                              os_version=''))
        self.assertEqual({}, self.props(stk))
        self.update_stack(stk, self.template(os_distro='ubuntu',
                                             os_version='24.04'))
        self.update_stack(stk, self.template(os_distro=None,
                                             os_version=''))
        self.assertEqual({}, self.props(stk))

    def test_a_value_changed_in_type_only_is_patched(self):
        # Heat compares template values with ==, where false == 0 and
        # 1 == 1.0; Glance stores the strings "False", "0", "1.0".
        stk = self.create_stack(self.template(
            properties={'a': False, 'n': 1}, extra_properties={'e': True}))
        image_id = self.image_id(stk)
        self.assertEqual({'a': 'False', 'n': '1', 'e': 'True'},
                         self.props(stk))
        counter = self.counter()
        self.update_stack(stk, self.template(
            properties={'a': 0, 'n': 1.0}, extra_properties={'e': 1}))
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_patches(counter, image_id, 1, reads=0)
        self.assertEqual({'a': '0', 'n': '1.0', 'e': '1'}, self.props(stk))
        # Stored as the new template has them: a check agrees, and the same
        # template again sends nothing.
        heat.check(stk)
        self.assertEqual(('CHECK', 'COMPLETE'), stk.state, stk.status_reason)
        counter = self.counter()
        self.update_stack(stk, self.template(
            properties={'a': 0, 'n': 1.0}, extra_properties={'e': 1}))
        self.assertEqual(0, counter.count('PATCH'))

    def test_extra_properties_share_the_same_path(self):
        stk = self.create_stack(self.template(
            properties={'a': '1'}, extra_properties={'b': 2}))
        self.assertEqual({'a': '1', 'b': '2'}, self.props(stk))
        counter = self.counter()
        # Moving a key from one map to the other changes nothing in Glance.
        self.update_stack(stk, self.template(properties={'a': '1', 'b': 2}))
        self.assertEqual(0, counter.count('PATCH'))
        self.update_stack(stk, self.template(extra_properties={'a': '1'}))
        self.assertEqual({'a': '1'}, self.props(stk))

    def test_members_are_never_sent_as_an_image_property(self):
        stk = self.create_stack(self.template(
            properties={'k': 'v'}, visibility='shared',
            members=['project-b']))
        image_id = self.image_id(stk)
        counter = self.counter()
        self.update_stack(stk, self.template(
            properties={'k': 'w'}, visibility='shared',
            members=['project-c']))
        self.assertEqual(1, counter.count('PATCH'))
        members = [m.member_id for m in self.admin.image_members.list(
            image_id)]
        self.assertEqual(['project-c'], members)
        self.assertNotIn('members', self.image(stk))
        self.assertEqual({'k': 'w'}, self.props(stk))


class FirstClassKeysInMapsTest(base.FunctionalTestCase):
    """Keys of first-class properties (os_distro, ...) set in the maps.

    As in a map copied from ``openstack image create --property``: the
    key is an ordinary key of the map when its first-class property is not
    set, or has the same value.
    """

    def test_keys_in_properties_alone_create_and_change_in_place(self):
        stk = self.create_stack(self.template(properties={
            'os_distro': 'ubuntu', 'architecture': 'x86_64', 'k': 'v'}))
        image_id = self.image_id(stk)
        self.assertEqual({'os_distro': 'ubuntu', 'architecture': 'x86_64',
                          'k': 'v'}, self.props(stk))

        counter = self.counter()
        self.update_stack(stk, self.template(properties={
            'os_distro': 'debian', 'architecture': 'aarch64', 'k': 'v'}))
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_patches(counter, image_id, 1, reads=0)
        self.assertEqual({'os_distro': 'debian', 'architecture': 'aarch64',
                          'k': 'v'}, self.props(stk))

        # In extra_properties, the same; removed from the map, removed
        # from the image.
        counter = self.counter()
        self.update_stack(stk, self.template(
            properties={'k': 'v'}, extra_properties={'os_distro': 'debian'}))
        self.assert_patches(counter, image_id, 1, reads=0)
        self.assertEqual({'os_distro': 'debian', 'k': 'v'}, self.props(stk))
        self.update_stack(stk, self.template(properties={'k': 'v'}))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual({'k': 'v'}, self.props(stk))

    def test_moving_a_key_between_its_property_and_the_maps(self):
        stk = self.create_stack(self.template(os_distro='ubuntu',
                                              os_version='24.04'))
        image_id = self.image_id(stk)
        wanted = {'os_distro': 'ubuntu', 'os_version': '24.04'}
        self.assertEqual(wanted, self.props(stk))
        # Each step sets the same keys to the same values somewhere else:
        # nothing is sent, nothing is removed.
        for step in (
                dict(properties={'os_distro': 'ubuntu'}, os_version='24.04'),
                dict(extra_properties={'os_distro': 'ubuntu',
                                       'os_version': '24.04'}),
                dict(os_distro='ubuntu', os_version='24.04',
                     properties={'os_distro': 'ubuntu'},
                     extra_properties={'os_version': '24.04'}),
                dict(os_distro='ubuntu', os_version='24.04')):
            counter = self.counter()
            self.update_stack(stk, self.template(**step))
            self.assertEqual(0, counter.count('PATCH'), step)
            self.assertEqual(image_id, self.image_id(stk))
            self.assertEqual(wanted, self.props(stk), step)

        # Moved with a new value: changed in place, the other key stays.
        counter = self.counter()
        self.update_stack(stk, self.template(properties={
            'os_distro': 'debian'}, os_version='24.04'))
        self.assert_patches(counter, image_id, 1, reads=0)
        self.assertEqual({'os_distro': 'debian', 'os_version': '24.04'},
                         self.props(stk))


class HiddenTest(base.FunctionalTestCase):
    """``hidden``: Glance's os_hidden, changed in place."""

    def listed(self, image_id, hidden=False):
        filters = {'os_hidden': True} if hidden else {}
        return image_id in set(i.id for i in self.admin.images.list(
            filters=filters))

    def test_hidden_then_shown_in_place(self):
        stk = self.create_stack(self.template(properties={'k': 'v'}))
        image_id = self.image_id(stk)
        self.assertIs(False, self.image(stk).os_hidden)
        self.assertTrue(self.listed(image_id))

        counter = self.counter()
        self.update_stack(stk, self.template(properties={'k': 'v'},
                                             hidden=True))
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_patches(counter, image_id, 1, reads=0)
        image = self.image(stk)
        self.assertEqual((True, 'active'), (image.os_hidden, image.status))
        # Out of Glance's image list, still there by id and in the list
        # of hidden images.
        self.assertFalse(self.listed(image_id))
        self.assertTrue(self.listed(image_id, hidden=True))
        self.assertEqual({'k': 'v'}, self.props(stk))

        counter = self.counter()
        self.update_stack(stk, self.template(properties={'k': 'w'},
                                             hidden=False))
        self.assertEqual(image_id, self.image_id(stk))
        # The key and os_hidden in the same request.
        self.assert_patches(counter, image_id, 1, reads=0)
        self.assertIs(False, self.image(stk).os_hidden)
        self.assertTrue(self.listed(image_id))
        self.assertEqual({'k': 'w'}, self.props(stk))

        # A template that stops setting hidden leaves the image as it is:
        # hidden by hand, it stays hidden, and a check does not mind.
        self.admin.images.update(image_id, os_hidden=True)
        counter = self.counter()
        self.update_stack(stk, self.template(properties={'k': 'w'}))
        self.assert_patches(counter, image_id, 0, reads=0)
        self.assertIs(True, self.image(stk).os_hidden)
        heat.check(stk)
        self.assertEqual(('CHECK', 'COMPLETE'), stk.state, stk.status_reason)

    def test_created_hidden_and_deleted(self):
        stk = self.create_stack(self.template(hidden=True))
        image_id = self.image_id(stk)
        image = self.image(stk)
        self.assertEqual((True, 'active'), (image.os_hidden, image.status))
        self.assertFalse(self.listed(image_id))
        stk.delete()
        self.assertEqual(('DELETE', 'COMPLETE'), stk.state,
                         stk.status_reason)
        self.assertRaises(glance_exc.HTTPNotFound, self.admin.images.get,
                          image_id)


class OldTemplateTest(base.FunctionalTestCase):

    def test_is_public_false_is_private(self):
        stk = self.create_stack(self.template(is_public=False,
                                              properties={'k': 'v'}))
        self.assertEqual('private', self.image(stk).visibility)

    def test_visibility_default_is_private(self):
        stk = self.create_stack(self.template())
        self.assertEqual('private', self.image(stk).visibility)


class AdminOldTemplateTest(base.FunctionalTestCase):

    identity = heat.ADMIN

    def test_is_public_true_is_public_and_updates_in_place(self):
        stk = self.create_stack(self.template(is_public=True))
        image_id = self.image_id(stk)
        self.assertEqual('public', self.image(stk).visibility)
        self.update_stack(stk, self.template(is_public=False))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual('private', self.image(stk).visibility)
