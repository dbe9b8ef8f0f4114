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

"""The resource's location check ([glance_properties] location_check).

heat-engine's URL filter is set as an operator sets it: the same
allowed_hosts and allowed_ports as the harness Glance's
[import_filtering_opts] (127.0.0.1 and the data server's port).
"""

import os
import subprocess

from oslo_config import cfg

from heat_glance_props import introspect
from heat_glance_props import opts
from tests.functional import base
from tests.harness import glance
from tests.unit import imageserver

IMAGES = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'fixtures', 'images')


def _qcow2():
    with open(os.path.join(IMAGES, 'disk.qcow2'), 'rb') as f:
        return f.read()


#: oslo.utils 7.3.0 and newer have the format inspector the check uses;
#: 2024.1's 7.1.0 has not, and the check then only says it cannot check.
INSPECTOR = introspect.format_inspector is not None

GLANCE_CHECKS_FORMAT = glance.checks_disk_format()

CANNOT_CHECK = 'could not check the data at location'

#: The User-Agent of the location check's requests.
CHECK_AGENT = 'heat-glance-props'


def _glance_checks_redirects():
    """Whether the harness's Glance checks where web-download redirects go.

    Glance 33 checks every redirect against [import_filtering_opts];
    Glance 28 (2024.1) follows any redirect. Asked of Glance's own code.
    """
    code = ('import glance.common.scripts.utils as u; '
            'print(hasattr(u, "SafeRedirectHandler"))')
    out = subprocess.run([glance.server_python(), '-c', code], check=True,
                         capture_output=True, text=True).stdout
    return out.strip() == 'True'


GLANCE_CHECKS_REDIRECTS = _glance_checks_redirects()


class _CheckTestCase(base.FunctionalTestCase):

    def setUp(self):
        super(_CheckTestCase, self).setUp()
        opts.register_opts(cfg.CONF)
        # What the operator mirrors from Glance's [import_filtering_opts].
        self.set_option('allowed_hosts', ['127.0.0.1'])
        self.set_option('allowed_ports', [self.data.port])

    def set_option(self, name, value):
        cfg.CONF.set_override(name, value, group=opts.GROUP)
        self.addCleanup(cfg.CONF.clear_override, name, group=opts.GROUP)


class LocationCheckTest(_CheckTestCase):

    def test_strict_refuses_before_glance_sees_anything(self):
        self.set_option('location_check', 'strict')
        url = self.data.add('strict-raw.img', data=_qcow2())
        before = self.all_image_ids()
        counter = self.counter()
        stk = self.create_stack(self.template(disk_format='raw'),
                                {'image_url': url}, check=False)
        if not INSPECTOR:
            # Never refused for what cannot be checked.
            self.assertEqual(('CREATE', 'COMPLETE'), stk.state)
            self.assertIn(CANNOT_CHECK, self.logger.output)
            return
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.assertIn('is qcow2, but disk_format is raw', stk.status_reason)
        self.assertEqual(before, self.all_image_ids())
        self.assertEqual([], [r for r in counter.since() if r[0] == 'POST'])

    def test_strict_creates_a_matching_image(self):
        self.set_option('location_check', 'strict')
        url = self.data.add('strict-qcow2.img', data=_qcow2())
        stk = self.create_stack(self.template(disk_format='qcow2'),
                                {'image_url': url})
        self.assertEqual('active', self.image(stk).status)

    def test_warn_logs_and_creates(self):
        self.set_option('location_check', 'warn')
        url = self.data.add('warn-raw.img', data=_qcow2())
        stk = self.create_stack(self.template(disk_format='raw'),
                                {'image_url': url})
        self.assertEqual('active', self.image(stk).status)
        self.assertIn('is qcow2, but disk_format is raw' if INSPECTOR
                      else CANNOT_CHECK, self.logger.output)

    def test_off_reads_nothing(self):
        url = self.data.add('off-raw.img', data=_qcow2())
        self.create_stack(self.template(disk_format='raw'),
                          {'image_url': url})
        # Glance's own download only.
        self.assertEqual(1, self.data.hits('off-raw.img'))

    def test_failed_import_names_the_mismatch(self):
        self.set_option('location_check', 'warn')
        url = self.data.add('warn-vmdk.img', data=_qcow2())
        stk = self.create_stack(self.template(disk_format='vmdk'),
                                {'image_url': url}, check=False,
                                timeout_mins=1)
        if not GLANCE_CHECKS_FORMAT:
            self.assertEqual(('CREATE', 'COMPLETE'), stk.state)
            self.assertEqual('vmdk', self.image(stk).disk_format)
            return
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.assertIn('Task failed due to Internal Error', stk.status_reason)
        self.assertIn('the plugin found one: the data at location %s is '
                      'qcow2, but disk_format is vmdk' % url,
                      stk.status_reason)

    def test_failed_import_without_the_check_names_the_causes(self):
        url = self.data.add('off-vmdk.img', data=_qcow2())
        stk = self.create_stack(self.template(disk_format='vmdk'),
                                {'image_url': url}, check=False,
                                timeout_mins=1)
        if not GLANCE_CHECKS_FORMAT:
            self.assertEqual(('CREATE', 'COMPLETE'), stk.state)
            self.assertEqual('vmdk', self.image(stk).disk_format)
            return
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.assertIn('may not be of disk_format vmdk', stk.status_reason)
        self.assertIn('heat-glance-props introspect %s' % url,
                      stk.status_reason)


class LocationFilterTest(_CheckTestCase):
    """No request where Glance's web-download may not go.

    An "internal" HTTP server on 127.0.0.2, another loopback address than
    the one the harness Glance (and so heat-engine) allows, stands for the
    metadata service or a loopback service of the control plane.
    """

    def setUp(self):
        super(LocationFilterTest, self).setUp()
        self.internal = imageserver.ImageServer(host='127.0.0.2')
        self.addCleanup(self.internal.stop)
        self.secret = self.internal.add('secret.img', _qcow2())
        self.set_option('location_check', 'strict')

    def check_requests(self):
        return [h for h in self.internal.headers()
                if h.get('User-Agent') == CHECK_AGENT]

    def test_a_location_glance_refuses_is_not_read(self):
        stk = self.create_stack(self.template(disk_format='raw'),
                                {'image_url': self.secret}, check=False)
        self.assertEqual([], self.internal.requests())
        self.assertIn('did not check the data at location %s against '
                      'disk_format raw: the location check may not read it '
                      '(the host 127.0.0.2 is not in allowed_hosts)'
                      % self.secret, self.logger.output)
        # The create went on to Glance, which refused the location too.
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.assertIn('URI for web-download does not pass filtering',
                      stk.status_reason)

    def test_a_loopback_address_is_refused_without_allowed_hosts(self):
        # No host list, the port open: the address check alone refuses.
        self.set_option('allowed_hosts', [])
        self.set_option('allowed_ports', [self.data.port,
                                          self.internal.port])
        self.create_stack(self.template(disk_format='raw'),
                          {'image_url': self.secret}, check=False)
        self.assertEqual([], self.internal.requests())
        self.assertIn('may not read it (127.0.0.2 is a loopback address: '
                      'list the host in allowed_hosts, or the address in '
                      'allowed_networks, to allow it)', self.logger.output)

    def test_a_redirect_to_a_refused_host_is_not_followed(self):
        hop = self.data.add('hop-%s' % self.getUniqueString(), b'',
                            mode='redirect', to=self.secret)
        stk = self.create_stack(self.template(disk_format='raw'),
                                {'image_url': hop}, check=False,
                                timeout_mins=1)
        # heat-engine asked the allowed server, and stopped at its answer.
        self.assertEqual([], self.check_requests())
        if INSPECTOR:
            self.assertIn('did not check the data at location %s against '
                          'disk_format raw: the location check may not read '
                          'it (%s redirects to %s: the host 127.0.0.2 is not '
                          'in allowed_hosts)' % (hop, hop, self.secret),
                          self.logger.output)
        else:
            # Without an inspector the check reads nothing at all.
            self.assertIn(CANNOT_CHECK, self.logger.output)
        if not GLANCE_CHECKS_REDIRECTS:
            # Glance 28 itself follows the redirect and imports the data.
            self.assertEqual(('CREATE', 'COMPLETE'), stk.state,
                             stk.status_reason)
            self.assertNotEqual([], self.internal.requests())
            return
        # Glance refuses the redirect as well, and its import fails with
        # no cause; the import-failure explanation then read the location
        # again, through the same filter: nothing reached the server.
        self.assertEqual([], self.internal.requests())
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.assertIn('Task failed due to Internal Error', stk.status_reason)
        self.assertIn('Glance gives no cause', stk.status_reason)
        image = self.admin.images.get(self.image_id(stk))
        self.assertNotEqual('active', image.status)
