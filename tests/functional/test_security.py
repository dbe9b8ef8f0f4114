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

"""Security: property protections, key escaping, no token in the logs.

The harness's Glance protects every key starting with ``x_protected_``:
only an admin may create, change or delete one. The stacks here run as a
project member, so the plugin must not get around that, whichever way the
template asks for it.
"""

import hashlib
import logging

import fixtures
from heat.engine import stack as heat_stack

from tests.functional import base
from tests.harness import glance
from tests.harness import heat

PROTECTED = glance.PROTECTED_PREFIX + 'key'

#: An admin of the member's own project: may set protected keys on the
#: project's images.
PROJECT_ADMIN = (heat.MEMBER[0], 'user-a-admin', ('admin', 'member',
                                                  'reader'))

REFUSED = ("Attribute '%s' is reserved. Key(s) '%s' are protected or "
           "reserved in this cloud; remove them from the template or ask "
           "the cloud operator for the role that may set them. Glance "
           "applied none of the changes of this request." % (PROTECTED,
                                                             PROTECTED))


class ProtectionTest(base.FunctionalTestCase):

    def snapshot(self, stk):
        image = self.image(stk)
        return (self.image_id(stk), base.free_properties(image),
                dict((k, image.get(k)) for k in (
                    'name', 'visibility', 'min_ram', 'min_disk',
                    'protected', 'status', 'owner')))

    def assert_refused(self, stk, tmpl):
        before = self.snapshot(stk)
        images = self.all_image_ids()
        self.update_stack(stk, tmpl, check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        self.assertEqual('Error: resources.image: Glance refused to update '
                         'image %s: %s' % (before[0], REFUSED),
                         stk.status_reason)
        self.assertEqual(before, self.snapshot(stk))
        self.assertEqual(images, self.all_image_ids())

    def test_member_cannot_set_a_protected_key(self):
        stk = self.create_stack(self.template(properties={'a': '1'}))
        # Everything else of the same update is refused with it.
        self.assert_refused(stk, self.template(
            properties={'a': '2', 'b': '3', PROTECTED: 'mine'},
            os_distro='debian', name='renamed', min_ram=128))

    def test_member_cannot_set_a_protected_key_via_extra_properties(self):
        stk = self.create_stack(self.template(properties={'a': '1'}))
        self.assert_refused(stk, self.template(
            properties={'a': '2'}, extra_properties={PROTECTED: 'mine'}))

    def test_member_cannot_change_a_protected_key_set_by_an_admin(self):
        stk = self.create_stack(self.template(properties={'a': '1'}))
        self.admin.images.update(self.image_id(stk), **{PROTECTED: 'admin'})
        self.assert_refused(stk, self.template(
            properties={'a': '2', PROTECTED: 'member'}))
        self.assertEqual('admin', self.props(stk)[PROTECTED])

    def test_member_cannot_remove_a_protected_key(self):
        # A project admin's stack sets the key; a member of the same
        # project then updates the stack without it.
        ctx = heat.make_context(self.glance_server.url, PROJECT_ADMIN)
        stk = heat.create(ctx, self.template(properties={
            'a': '1', PROTECTED: 'admin'}), {'image_url': self.image_url()})
        self.addCleanup(self._delete_stack, stk)
        self.assertEqual(('CREATE', 'COMPLETE'), stk.state,
                         stk.status_reason)
        self.assertEqual({'a': '1', PROTECTED: 'admin'}, self.props(stk))

        stk = heat_stack.Stack.load(self.ctx, stack_id=stk.id)
        self.assert_refused(stk, self.template(properties={'a': '2'}))
        self.assertEqual({'a': '1', PROTECTED: 'admin'}, self.props(stk))

    def test_refused_update_with_a_tag_change(self):
        stk = self.create_stack(self.template(properties={'a': '1'},
                                              tags=['before']))
        before = self.snapshot(stk)
        self.update_stack(stk, self.template(
            properties={'a': '2', PROTECTED: 'mine'}, tags=['after']),
            check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        self.assertEqual(before, self.snapshot(stk))
        # The PATCH goes first: refused, so the tags were never touched.
        self.assertEqual(['before'], self.image(stk).tags)


class KeyEscapingTest(base.FunctionalTestCase):
    """``/`` and ``~`` in keys are escaped: no key ever touches another."""

    SEEDED = {'a': 's-a', 'b': 's-b', '1': 's-1', '0': 's-0', '~': 's-~',
              '/': 's-/', 'a~1b': 's-a~1b', '~01': 's-~01', 'a~b': 's-a~b',
              'a/': 's-a/', '/b': 's-/b', '~~': 's-~~'}

    def test_set_change_remove_next_to_look_alikes(self):
        stk = self.create_stack(self.template(properties={}))
        image_id = self.image_id(stk)
        self.admin.images.update(image_id, **self.SEEDED)
        self.assertEqual(self.SEEDED, self.props(stk))

        for values in ({'a/b': 'v1', '~1': 'v2', '~0': 'v3'},
                       {'a/b': 'w1', '~1': 'w2', '~0': 'w3'},
                       {'~1': 'w2'},
                       {}):
            self.update_stack(stk, self.template(properties=values))
            expected = dict(self.SEEDED)
            expected.update(values)
            self.assertEqual(expected, self.props(stk), values)
            self.assertEqual(image_id, self.image_id(stk))


class NoTokenInLogsTest(base.FunctionalTestCase):
    """The harness's fake token never reaches a log the tests capture."""

    def setUp(self):
        super(NoTokenInLogsTest, self).setUp()
        # Everything at DEBUG, keystoneauth's request logging included.
        self.debug_log = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format='%(levelname)s [%(name)s] '
            '%(message)s'))
        # Even if a logging setup gave these loggers levels of their own.
        for name in ('heat', 'heat_glance_props', 'glanceclient',
                     'keystoneauth', 'urllib3'):
            logger = logging.getLogger(name)
            self.addCleanup(logger.setLevel, logger.level)
            logger.setLevel(logging.DEBUG)

    def assert_no_token(self, name, text):
        # The token, or its random part alone.
        secrets = (heat.TOKEN, heat.TOKEN.rsplit('-', 1)[-1])
        leaks = [line for line in text.splitlines()
                 if any(s in line for s in secrets)]
        if leaks:
            self.fail('the token is in the %s: %s' % (name, leaks[0][:500]))

    def test_create_update_refusal_unreachable_and_delete(self):
        stk = self.create_stack(self.template(properties={'a': '1'}))
        self.update_stack(stk, self.template(properties={'a': '2'}))
        self.update_stack(stk, self.template(properties={
            'a': '3', PROTECTED: 'x'}), check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        refused = stk.status_reason
        stk.delete()
        self.assertEqual(('DELETE', 'COMPLETE'), stk.state)

        # A Glance that does not answer (nothing listens on the port).
        nowhere = 'http://127.0.0.1:%d' % glance.free_port()
        ctx = heat.make_context(nowhere, heat.MEMBER)
        lost = heat.create(ctx, self.template(properties={'a': '1'}),
                           {'image_url': self.image_url()})
        self.addCleanup(self._delete_stack, lost)
        self.assertEqual(('CREATE', 'FAILED'), lost.state)
        self.assertIn('Glance is unreachable at %s' % nowhere,
                      lost.status_reason)

        debug = self.debug_log.output
        # The capture did see the requests and their headers: keystoneauth
        # logs the token header as a SHA-256 digest, never the token.
        digest = hashlib.sha256(heat.TOKEN.encode('utf-8')).hexdigest()
        self.assertIn('X-Auth-Token: {SHA256}%s' % digest, debug)
        self.assertIn(refused, debug)
        self.assertIn(lost.status_reason, debug)

        self.assert_no_token('debug log', debug)
        for text in (refused, lost.status_reason):
            self.assert_no_token('stack status', text)
        for res in (stk['image'], lost['image']):
            self.assert_no_token('resource status', res.status_reason or '')
        with open(self.glance_server.log_file) as f:
            self.assert_no_token('glance-api log', f.read())
        with open(self.glance_server.server_log) as f:
            self.assert_no_token('gunicorn log', f.read())
