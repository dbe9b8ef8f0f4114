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

"""Randomized model-based test of the properties map against real Glance.

Hypothesis draws short sequences of property maps (keys with ``/``, ``~``,
spaces and non-ASCII letters; string, integer, boolean, float and null
values; keys spread over ``properties`` and ``extra_properties``, keys of
first-class properties among them, set in a map, as the first-class
property, or both with the same value) and
applies each map as a stack update to ONE image, with out-of-band edits by
an admin between the steps. The model is the contract of the resource:

* the image keeps its id;
* its free properties are exactly the normalised template map plus the
  out-of-band keys the template never managed;
* a step costs one Glance PATCH when the normalised map changed and none
  when it did not.

Out-of-band edits only touch keys the template has never managed in the
sequence (managed keys belong to the template), but the template may
later start to manage a key that was set out of band.
"""

import copy
import os

import hypothesis
from hypothesis import strategies as st
from oslo_config import cfg

from heat_glance_props import catalog
from heat_glance_props import imageprops
from heat_glance_props import opts
from heat_glance_props.resources import image as image_resource
from tests.functional import base
from tests.harness import glance
from tests.harness import heat

#: Examples per test: each is a sequence of 1 to MAX_STEPS stack updates.
EXAMPLES = int(os.environ.get('MODEL_EXAMPLES', 200))
MAX_STEPS = 4

FIRST_CLASS = image_resource.GlanceImage.FREE_PROPERTIES

#: Keys that JSON pointers and key look-alikes make interesting.
SPECIAL_KEYS = ['a/b', 'a', 'b', '~1', '~0', '~', '/', 'a~1b', '~01',
                'a b', u'cl\u00e9', u'\u043a\u043b\u044e\u0447', '1']

#: Pieces keys are built from: JSON pointer specials and escapes, spaces,
#: digits and letters of a few scripts.
KEY_PARTS = st.sampled_from(['a', 'b', '/', '~', '~0', '~1', '0', '1', ' ',
                             '_', ':', '.', u'\u00e9', u'\u4e2d',
                             u'\u043a\u043b\u044e\u0447'])

#: Any character of the Basic Multilingual Plane (Glance refuses the
#: others: test_bad_inputs covers that).
BMP = st.characters(max_codepoint=0xFFFF, exclude_categories=('Cs',))


def _valid_key(key):
    # Glance strips leading and trailing whitespace from the keys of a
    # PATCH (test_bad_inputs shows it): such keys are not modelled.
    return (key == key.strip() and
            not imageprops.find_problems([('properties', {key: 'v'})]))


KEYS = st.one_of(st.sampled_from(SPECIAL_KEYS),
                 st.sampled_from(FIRST_CLASS),
                 st.lists(KEY_PARTS, min_size=1, max_size=5).map(''.join),
                 st.text(BMP, min_size=1, max_size=12)).filter(_valid_key)

TEXT = st.text(BMP, max_size=16)

#: Template values: few distinct ones, so that equal values (typed and
#: as strings) come up often.
VALUES = st.one_of(
    st.none(),
    st.sampled_from(['', '1', 'True', 'x', '1.5']),
    st.integers(min_value=-2, max_value=2),
    st.integers(min_value=-10 ** 20, max_value=10 ** 20),
    st.booleans(),
    st.sampled_from([1.5, 0.1, -0.0, 1e16]),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)

#: Out-of-band values: Glance values are strings.
OOB_VALUES = st.one_of(st.sampled_from(['', '1', 'x', 'oob']), TEXT)


def _as_string(value):
    """The same value as the string the template could have written."""
    if value is None or isinstance(value, str):
        return value
    return imageprops.normalise_value(value)


class ModelTest(base.FunctionalTestCase):

    def setUp(self):
        super(ModelTest, self).setUp()
        # The model is the contract of the map, not the catalog of values
        # (random values of architecture, keys one edit away from a
        # catalog key): test_catalog has that.
        cfg.CONF.set_override('catalog_mode', catalog.OFF, group=opts.GROUP)
        self.addCleanup(cfg.CONF.clear_override, 'catalog_mode',
                        group=opts.GROUP)
        self.stk = self.create_stack(self.template(properties={}))
        self.iid = self.image_id(self.stk)

    def _update(self, tmpl):
        heat.update(self.stk, copy.deepcopy(tmpl), dict(self.stk.env.params))
        self.assertEqual(('UPDATE', 'COMPLETE'), self.stk.state,
                         self.stk.status_reason)

    def _reset_image(self):
        """Back to an empty template and an image without properties."""
        self._update(self.template(properties={}))
        leftovers = list(base.free_properties(
            self.admin.images.get(self.iid)))
        if leftovers:
            self.admin.images.update(self.iid, remove_props=leftovers)

    def _out_of_band(self, data, pool, live, oob, ever_managed):
        """Admin edits of keys the template never managed."""
        removable = sorted(k for k in oob if k not in ever_managed)
        if removable and data.draw(st.booleans(), label='oob remove'):
            gone = data.draw(st.lists(st.sampled_from(removable),
                                      min_size=1, unique=True),
                             label='oob removed keys')
            self.admin.images.update(self.iid, remove_props=gone)
            for key in gone:
                del oob[key]
                del live[key]
        keys = st.one_of(st.sampled_from(pool), KEYS)
        sets = data.draw(st.dictionaries(keys, OOB_VALUES, max_size=3),
                         label='oob set')
        sets = dict((k, v) for k, v in sets.items() if k not in ever_managed)
        if sets:
            self.admin.images.update(self.iid, **sets)
            oob.update(sets)
            live.update(sets)

    def _draw_template(self, data, pool, previous):
        """A template for the next step, and its normalised map."""
        kind = data.draw(st.sampled_from(['new', 'new', 'new', 'same',
                                          'as strings']), label='kind')
        if kind == 'new' or previous is None:
            keys = data.draw(st.lists(st.sampled_from(pool), unique=True,
                                      max_size=len(pool)), label='keys')
            values = dict((k, data.draw(VALUES, label=repr(k)))
                          for k in keys)
            maps = {'properties': {}, 'extra_properties': {}}
            for key, value in values.items():
                where = data.draw(st.sampled_from(sorted(maps)),
                                  label='map of %r' % key)
                maps[where][key] = value
            first_class = {}
            if data.draw(st.booleans(), label='first-class'):
                name = data.draw(st.sampled_from(['os_distro', 'os_version',
                                                  'architecture']))
                # Null or '' in a first-class property means "not set".
                first_class[name] = data.draw(
                    st.one_of(st.sampled_from(['1', 'x', '', None]), TEXT),
                    label=name)
            # A key of a first-class property that is set may be in a map
            # too, with the same value (another value is refused).
            for name, value in first_class.items():
                for mapping in maps.values():
                    if value and imageprops.normalise_value(
                            mapping.get(name)) is not None:
                        mapping[name] = value
        else:
            maps, first_class = copy.deepcopy(previous)
            if kind == 'as strings':
                # Different template values, same normalised map.
                for mapping in maps.values():
                    for key in mapping:
                        mapping[key] = _as_string(mapping[key])
        expected = imageprops.normalise(
            dict((k, v or None) for k, v in first_class.items()))
        for mapping in maps.values():
            expected.update(imageprops.normalise(mapping))
        return (maps, first_class), expected

    def _template(self, maps, first_class):
        extra = dict(first_class)
        if maps['extra_properties']:
            extra['extra_properties'] = maps['extra_properties']
        return self.template(properties=maps['properties'], **extra)

    def _run_sequence(self, data):
        self._reset_image()
        pool = data.draw(st.lists(KEYS, min_size=1, max_size=6, unique=True),
                         label='key pool')
        steps = data.draw(st.integers(min_value=1, max_value=MAX_STEPS),
                          label='steps')
        live = {}
        oob = {}
        ever_managed = set()
        managed = {}
        previous = None
        for step in range(steps):
            if step and data.draw(st.booleans(), label='oob edit'):
                self._out_of_band(data, pool, live, oob, ever_managed)
            spec, expected = self._draw_template(data, pool, previous)

            counter = glance.RequestCounter(self.glance_server)
            self._update(self._template(*spec))
            patches = counter.count('PATCH')

            ever_managed |= set(expected)
            for key in expected:
                oob.pop(key, None)
            before, live = live, dict(oob)
            live.update(expected)
            note = 'step %d: %r' % (step, spec)
            self.assertEqual(self.iid, self.image_id(self.stk), note)
            self.assertEqual(live, base.free_properties(
                self.admin.images.get(self.iid)), note)
            if expected == managed:
                self.assertEqual(0, patches, note)
            elif live != before:
                self.assertEqual(1, patches, note)
            else:
                self.assertLessEqual(patches, 1, note)
            managed = expected
            previous = spec

    def test_random_sequences_of_maps(self):
        @hypothesis.settings(
            max_examples=EXAMPLES, deadline=None, derandomize=True,
            database=None, print_blob=False,
            suppress_health_check=list(hypothesis.HealthCheck))
        @hypothesis.given(st.data())
        def check(data):
            self._run_sequence(data)

        check()
