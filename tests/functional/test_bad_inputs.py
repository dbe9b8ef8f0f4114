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

"""The bad-input matrix of doc/source/bad-inputs.rst, one test per row.

Each row asserts the exact message the user gets and that nothing changed:
no image was created, and an image that a refused update was about kept
its id, its free properties and its core attributes. The first column of
the table in the doc is the row id; ``test_<row id>`` (dashes as
underscores) is its test here, and a test checks the two lists match.
"""

import copy
import os
import re

from heat.common import exception
import testtools

from tests.functional import base
from tests.harness import glance
from tests.harness import heat

DOC = os.path.join(glance.REPO_ROOT, 'doc', 'source', 'bad-inputs.rst')

PROTECTED = glance.PROTECTED_PREFIX + 'key'

#: The image the rows that update a stack start from.
START = {
    'properties': {'keep': 'me', 'n': 1},
    'extra_properties': {'extra': 'x'},
    'os_distro': 'fedora',
}

#: Validation rows: (row id, what the template gets, the exact message of
#: the StackValidationFailed that both a create and an update get).
VALIDATION_ROWS = [
    ('key-empty', {'properties': {'': 'v'}},
     'Resource "image": \'properties\' has an empty key; give every image '
     'property a name.'),
    ('key-not-a-string', {'properties': {5: 'v'}},
     'Resource "image": key 5 in \'properties\' is not a string (YAML read '
     'it as int); quote it in the template.'),
    ('key-null', {'properties': {None: 'v'}},
     'Resource "image": key None in \'properties\' is not a string (YAML '
     'read it as NoneType); quote it in the template.'),
    ('key-too-long', {'properties': {'k' * 256: 'v'}},
     'Resource "image": key \'' + 'k' * 37 + '...\' in \'properties\' is '
     '256 characters long; Glance accepts at most 255. Use a shorter key.'),
    ('key-read-only', {'properties': {'checksum': 'v'}},
     'Resource "image": key \'checksum\' in \'properties\' is a read-only '
     'image attribute that Glance computes itself; remove it from '
     '\'properties\'.'),
    ('key-read-only-in-extra-properties', {'extra_properties': {'size': 1}},
     'Resource "image": key \'size\' in \'extra_properties\' is a read-only '
     'image attribute that Glance computes itself; remove it from '
     '\'extra_properties\'.'),
    ('key-reserved', {'properties': {'location': 'http://x/y'}},
     'Resource "image": key \'location\' in \'properties\' is reserved by '
     'Glance, which keeps \'location\', \'deleted\', \'deleted_at\' and '
     'every key starting with \'os_glance\' for itself; remove it from '
     '\'properties\'.'),
    ('key-os-glance-prefix', {'properties': {'os_glance_mine': 'v'}},
     'Resource "image": key \'os_glance_mine\' in \'properties\' is '
     'reserved by Glance, which keeps \'location\', \'deleted\', '
     '\'deleted_at\' and every key starting with \'os_glance\' for itself; '
     'remove it from \'properties\'.'),
    ('key-core-attribute', {'properties': {'name': 'renamed'}},
     'Resource "image": key \'name\' in \'properties\' is a core image '
     'attribute, not a free property; use the resource property \'name\' '
     'instead.'),
    ('key-core-attribute-without-property',
     {'properties': {'locations': 'x'}},
     'Resource "image": key \'locations\' in \'properties\' is a core image '
     'attribute, not a free property; it cannot be set through '
     '\'properties\'.'),
    ('key-os-hidden', {'properties': {'os_hidden': True}},
     'Resource "image": key \'os_hidden\' in \'properties\' is a core image '
     'attribute, not a free property; use the resource property '
     '\'hidden\' instead.'),
    ('key-first-class-two-values', {'properties': {'os_distro': 'ubuntu'}},
     'Resource "image": key \'os_distro\' in \'properties\' is \'ubuntu\', '
     'but the resource property \'os_distro\' is \'fedora\'; give the key '
     'one value (set it in one of the two places, or the same value in '
     'both).'),
    ('key-first-class-two-values-in-extra-properties',
     {'extra_properties': {'os_distro': 'ubuntu'}},
     'Resource "image": key \'os_distro\' in \'extra_properties\' is '
     '\'ubuntu\', but the resource property \'os_distro\' is \'fedora\'; '
     'give the key one value (set it in one of the two places, or the same '
     'value in both).'),
    ('key-in-both-maps', {'extra_properties': {'keep': 'me'}},
     'Resource "image": key \'keep\' is set in both \'properties\' and '
     '\'extra_properties\'; set it in one map only.'),
    ('key-image-id', {'properties': {'image_id': 'v'}},
     'Resource "image": key \'image_id\' in \'properties\' cannot be sent '
     'through the Glance client, which takes this name for itself; rename '
     'the property.'),
    ('key-remove-props', {'properties': {'remove_props': 'v'}},
     'Resource "image": key \'remove_props\' in \'properties\' cannot be '
     'sent through the Glance client, which takes this name for itself; '
     'rename the property.'),
    ('value-list', {'properties': {'hw_list': ['a', 'b']}},
     'Resource "image": value of key \'hw_list\' in \'properties\' is a '
     'list; image property values must be strings, numbers or booleans '
     '(write a list or map as a string, e.g. JSON).'),
    ('value-map', {'properties': {'hw_map': {'a': 'b'}}},
     'Resource "image": value of key \'hw_map\' in \'properties\' is a '
     'map; image property values must be strings, numbers or booleans '
     '(write a list or map as a string, e.g. JSON).'),
    ('key-with-surrounding-spaces', {'properties': {' spaced ': 'v'}},
     'Resource "image": key \' spaced \' in \'properties\' starts or ends '
     'with white space, which Glance strips from the keys it is sent; '
     'remove the white space.'),
    ('key-outside-the-bmp', {'properties': {u'smile-\U0001f600': 'v'}},
     u'Resource "image": key \'smile-\U0001f600\' in \'properties\' has a '
     'character above U+FFFF (such as an emoji), which Glance refuses in '
     'property names; remove it.'),
    ('value-outside-the-bmp', {'properties': {'keep': u'\U0001f600'}},
     'Resource "image": value of key \'keep\' in \'properties\' has a '
     'character above U+FFFF (such as an emoji), which Glance refuses in '
     'property values; remove it.'),
    ('properties-not-a-map', {'properties': ['keep=me']},
     'Property error: resources.image.properties.properties: '
     '"[\'keep=me\']" is not a map'),
    ('is-public-and-visibility-disagree',
     {'is_public': True, 'visibility': 'private'},
     'Resource "image": "is_public" is True but "visibility" is "private"; '
     'remove the deprecated "is_public".'),
    ('visibility-unknown', {'visibility': 'everyone'},
     'Property error: resources.image.properties.visibility: "everyone" is '
     'not an allowed value ["public", "private", "community", "shared"]'),
    ('hidden-not-a-boolean', {'hidden': 'maybe'},
     'Property error: resources.image.properties.hidden: "maybe" is not a '
     'valid boolean'),
    ('min-ram-negative', {'min_ram': -1},
     'Property error: resources.image.properties.min_ram: -1 is out of '
     'range (min: 0, max: None)'),
]


def _with(start, change):
    """The START template properties with the keys of ``change`` merged."""
    props = copy.deepcopy(start)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(props.get(key), dict):
            props[key].update(value)
        else:
            props[key] = value
    return props


def doc_rows():
    """The row ids of the tables in doc/source/bad-inputs.rst."""
    with open(DOC) as f:
        text = f.read()
    return re.findall(r'^   \* - ``([a-z0-9-]+)``\s*$', text, re.M)


class BadInputTestCase(base.FunctionalTestCase):

    def snapshot(self, stk):
        """What a refused update must not change."""
        image = self.image(stk)
        return {
            'id': image.id,
            'resource_id': self.image_id(stk),
            'properties': base.free_properties(image),
            'core': dict((k, image.get(k)) for k in (
                'name', 'visibility', 'protected', 'min_ram', 'min_disk',
                'owner', 'status', 'tags', 'os_hidden', 'checksum')),
        }

    def start_stack(self, **change):
        return self.create_stack(self.template(**_with(START, change)))

    def assert_create_refused(self, props, message):
        """A create that fails at run time: the message, no image left.

        ``message`` is a regular expression (the image id varies).
        """
        before = self.all_image_ids()
        stk = self.create_stack(self.template(**props), check=False)
        self.assertEqual(('CREATE', 'FAILED'), stk.state, stk.status_reason)
        self.assertThat(stk.status_reason, _FullMatch(message))
        self.assertEqual(before, self.all_image_ids())
        return stk

    def assert_update_refused(self, stk, props, message):
        """An update that fails at run time: the message, nothing changed.

        ``message`` is the full message with ``%(id)s`` for the image id.
        """
        before = self.snapshot(stk)
        images = self.all_image_ids()
        self.update_stack(stk, self.template(**props), check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state, stk.status_reason)
        self.assertEqual(message % {'id': before['id']}, stk.status_reason)
        self.assertEqual(before, self.snapshot(stk))
        self.assertEqual(images, self.all_image_ids())


class _FullMatch(object):
    """A testtools matcher: the whole text matches a regular expression."""

    def __init__(self, pattern):
        self.pattern = pattern

    def __str__(self):
        return 'FullMatch(%r)' % self.pattern

    def match(self, text):
        if re.fullmatch(self.pattern, text, re.S):
            return None
        return _Mismatch('%r does not match %r' % (text, self.pattern))


class _Mismatch(object):

    def __init__(self, description):
        self._description = description

    def describe(self):
        return self._description

    def get_details(self):
        return {}


class ValidationTest(BadInputTestCase):
    """Rows refused by validation: before anything reaches Glance."""

    #: One stack for all the validation rows (they never change it).
    _shared = None

    def shared_stack(self):
        cls = type(self)
        if cls._shared is None:
            cls._shared = heat.create(self.ctx, self.template(**START),
                                      {'image_url': self.image_url()})
            self.assertEqual(('CREATE', 'COMPLETE'), cls._shared.state,
                             cls._shared.status_reason)
        return cls._shared

    @classmethod
    def tearDownClass(cls):
        if cls._shared is not None:
            cls._shared.delete()
            cls._shared = None
        super(ValidationTest, cls).tearDownClass()

    def check_row(self, change, message):
        stk = self.shared_stack()
        before = self.snapshot(stk)
        images = self.all_image_ids()
        tmpl = self.template(**_with(START, change))

        # On create: refused before anything is stored or sent.
        exc = self.assertRaises(exception.StackValidationFailed, heat.create,
                                self.ctx, copy.deepcopy(tmpl),
                                {'image_url': self.image_url()})
        self.assertEqual(message, str(exc))

        # On update: the same message, the stack and image untouched.
        exc = self.assertRaises(exception.StackValidationFailed, heat.update,
                                stk, copy.deepcopy(tmpl),
                                dict(stk.env.params))
        self.assertEqual(message, str(exc))
        self.assertEqual(('CREATE', 'COMPLETE'), stk.state)
        self.assertEqual(before, self.snapshot(stk))
        self.assertEqual(images, self.all_image_ids())


def _validation_test(change, message):
    def test(self):
        self.check_row(change, message)
    return test


for _row, _change, _message in VALIDATION_ROWS:
    setattr(ValidationTest, 'test_' + _row.replace('-', '_'),
            _validation_test(_change, _message))


class RuntimeTest(BadInputTestCase):
    """Rows that only Glance can refuse: the update reaches it."""

    def test_quota_exceeded_on_create(self):
        many = dict(('k%03d' % i, 'v') for i in range(129))
        self.assert_create_refused(
            {'properties': many},
            r'Resource CREATE failed: Error: resources\.image: Glance '
            r'refused to create the image: the image would have '
            r'129 properties, more than the 128 this cloud allows '
            r'\(image_property_quota\)\. Remove properties from the '
            r'template or ask the cloud operator to raise the quota\. '
            r'Glance applied none of the changes of this request\.')

    def test_quota_exceeded_on_update(self):
        stk = self.start_stack()
        # START has 4 keys: 125 more make 129.
        many = dict(('k%03d' % i, 'v') for i in range(125))
        self.assert_update_refused(
            stk, _with(START, {'properties': many, 'name': 'renamed'}),
            'Error: resources.image: Glance refused to update image %(id)s: '
            'the image would have 129 properties, more than the 128 this '
            'cloud allows (image_property_quota). Remove properties from '
            'the template or ask the cloud operator to raise the quota. '
            'Glance applied none of the changes of this request.')

    def test_protected_key_on_create(self):
        self.assert_create_refused(
            {'properties': {PROTECTED: 'v', 'other': 'w'}},
            r'Resource CREATE failed: Error: resources\.image: Glance '
            r'refused to create the image: Attribute '
            r"'x_protected_key' is reserved\. Key\(s\) 'x_protected_key' "
            r'are protected or reserved in this cloud; remove them from the '
            r'template or ask the cloud operator for the role that may set '
            r'them\. Glance applied none of the changes of this request\.')

    def test_protected_key_on_update(self):
        stk = self.start_stack()
        self.assert_update_refused(
            stk, _with(START, {'properties': {PROTECTED: 'v', 'keep': 'no',
                                              'new': 'w'},
                               'os_distro': 'debian',
                               'name': 'renamed', 'min_ram': 64}),
            'Error: resources.image: Glance refused to update image %(id)s: '
            "Attribute 'x_protected_key' is reserved. Key(s) "
            "'x_protected_key' are protected or reserved in this cloud; "
            'remove them from the template or ask the cloud operator for '
            'the role that may set them. Glance applied none of the '
            'changes of this request.')

    def test_visibility_public_by_a_member(self):
        # Publicizing is an admin action in Glance's default policy.
        stk = self.start_stack()
        self.assert_update_refused(
            stk, _with(START, {'visibility': 'public',
                               'properties': {'new': 'v'}}),
            'Error: resources.image: Glance refused to update image %(id)s: '
            'You are not authorized to complete publicize_image action. '
            "Glance's policy does not allow this change for your role; "
            'remove it from the template or ask the cloud operator. Glance '
            'applied none of the changes of this request.')

    def test_image_deleted_out_of_band(self):
        stk = self.start_stack()
        image_id = self.image_id(stk)
        self.admin.images.delete(image_id)
        images = self.all_image_ids()
        self.update_stack(stk, self.template(**_with(
            START, {'properties': {'keep': 'changed'}})), check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        self.assertEqual(
            'Error: resources.image: Image %(id)s no longer exists in '
            'Glance (was it deleted outside Heat?): No image found with ID '
            '%(id)s. The next stack update creates a new image.'
            % {'id': image_id}, stk.status_reason)
        # No image was created in its place, and the id stays.
        self.assertEqual(images, self.all_image_ids())
        self.assertEqual(image_id, self.image_id(stk))

    def test_image_deactivated_out_of_band(self):
        # Glance lets the owner change the properties of a deactivated
        # image: the update succeeds and the image stays deactivated.
        stk = self.start_stack()
        image_id = self.image_id(stk)
        self.admin.images.deactivate(image_id)
        self.update_stack(stk, self.template(**_with(
            START, {'properties': {'keep': 'changed'}})))
        image = self.image(stk)
        self.assertEqual(image_id, image.id)
        self.assertEqual('deactivated', image.status)
        self.assertEqual({'keep': 'changed', 'n': '1', 'extra': 'x',
                          'os_distro': 'fedora'},
                         base.free_properties(image))


class ConcurrentChangeTest(BadInputTestCase):
    """Out-of-band changes that race with the template."""

    def test_managed_key_removed_out_of_band_then_by_the_template(self):
        stk = self.start_stack(properties={'keep': 'me', 'gone': 'soon'})
        image_id = self.image_id(stk)
        self.admin.images.update(image_id, remove_props=['gone'])
        self.update_stack(stk, self.template(**START))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual({'keep': 'me', 'n': '1', 'extra': 'x',
                          'os_distro': 'fedora'}, self.props(stk))

    def test_out_of_band_key_then_managed_by_the_template(self):
        stk = self.start_stack()
        image_id = self.image_id(stk)
        self.admin.images.update(image_id, adopted='by hand')
        self.update_stack(stk, self.template(**_with(
            START, {'properties': {'adopted': 'by template'}})))
        self.assertEqual('by template', self.props(stk)['adopted'])
        # Managed from now on: removing it from the template removes it.
        self.update_stack(stk, self.template(**START))
        self.assertNotIn('adopted', self.props(stk))
        self.assertEqual(image_id, self.image_id(stk))

    def test_managed_key_changed_out_of_band(self):
        # A plain update does not look at Glance: the drift stays until a
        # converge (or a change of that key in the template).
        stk = self.start_stack()
        image_id = self.image_id(stk)
        self.admin.images.update(image_id, keep='by hand')
        self.update_stack(stk, self.template(**_with(
            START, {'properties': {'new': 'v'}})))
        self.assertEqual('by hand', self.props(stk)['keep'])
        self.update_stack(stk, self.template(**_with(
            START, {'properties': {'new': 'v'}})), converge=True)
        self.assertEqual('me', self.props(stk)['keep'])

    def test_key_renamed_keeping_its_value(self):
        # glanceclient would send this as a JSON patch "move", which Glance
        # refuses; the resource sends remove + add.
        stk = self.start_stack(properties={'old_name': 'same'})
        image_id = self.image_id(stk)
        renamed = _with(START, {})
        renamed['properties'] = {'keep': 'me', 'n': 1, 'new_name': 'same'}
        counter = self.counter()
        self.update_stack(stk, self.template(**renamed))
        self.assertEqual(1, counter.count('PATCH'))
        props = self.props(stk)
        self.assertEqual('same', props['new_name'])
        self.assertNotIn('old_name', props)
        self.assertEqual(image_id, self.image_id(stk))


class DocTableTest(testtools.TestCase):

    def test_every_row_of_the_doc_has_a_test_and_back(self):
        tests = set()
        for cls in (ValidationTest, RuntimeTest, ConcurrentChangeTest):
            tests |= set(m for m in dir(cls) if m.startswith('test_'))
        rows = doc_rows()
        self.assertEqual(len(rows), len(set(rows)), 'duplicate row ids')
        self.assertGreaterEqual(len(rows), 20)
        self.assertEqual(
            sorted(tests),
            sorted('test_' + r.replace('-', '_') for r in rows))
