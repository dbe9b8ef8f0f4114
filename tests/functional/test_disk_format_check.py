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

"""disk_format against the data, with the real Glance and its data server.

The harness's data server answers every GET with the whole body (it
ignores Range), as many web servers do. This suite also runs on Heat
2024.1 (tools/matrix.sh), whose oslo.utils 7.1.0 has no format inspector:
there the check says that it cannot check, and never refuses.
"""

import os

from heat_glance_props import introspect
from heat_glance_props import opts
from heat_glance_props import precheck
from tests.functional import base
from tests.harness import glance

IMAGES = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'fixtures', 'images')


#: oslo.utils older than 7.3.0 (Heat 2024.1's) has no format inspector.
NO_INSPECTOR = introspect.format_inspector is None


def _qcow2():
    with open(os.path.join(IMAGES, 'disk.qcow2'), 'rb') as f:
        return f.read()


class DiskFormatTest(base.FunctionalTestCase):

    def test_glance_takes_raw_for_qcow2_data_and_the_check_does_not(self):
        url = self.data.add('raw-declared.img', data=_qcow2())
        stk = self.create_stack(self.template(disk_format='raw'),
                                {'image_url': url})
        # Glance imported it: nothing in Glance says the image is wrong.
        self.assertEqual(('active', 'raw'), (self.image(stk).status,
                                             self.image(stk).disk_format))
        (level, message), = precheck.check_location(url, 'raw')
        if NO_INSPECTOR:
            self.assertEqual(precheck.WARNING, level)
            self.assertIn('needs oslo.utils 7.3.0 or newer', message)
            return
        self.assertEqual(precheck.ERROR, level)
        self.assertIn('is qcow2, but disk_format is raw', message)

    def test_failed_import_of_vmdk_for_qcow2_data_names_the_mismatch(self):
        url = self.data.add('vmdk-declared.img', data=_qcow2())
        stk = self.create_stack(self.template(disk_format='vmdk'),
                                {'image_url': url}, check=False,
                                timeout_mins=1)
        if not glance.checks_disk_format():
            # Glance 28 (2024.1) takes the data as declared.
            self.assertEqual(('CREATE', 'COMPLETE'), stk.state)
            self.assertEqual('vmdk', self.image(stk).disk_format)
            return
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        image_id = self.image_id(stk)
        # What Glance's task API says about it: nothing about the cause.
        resp, body = self.admin.http_client.get(
            '/v2/images/%s/tasks' % image_id)
        task, = [t for t in body['tasks'] if t['status'] == 'failure']
        self.assertEqual('Task failed due to Internal Error',
                         task['message'])
        image = self.admin.images.get(image_id)
        # heat-engine's URL filter as the operator mirrors it from the
        # harness Glance's [import_filtering_opts].
        conf = opts.load([])
        conf.set_override('allowed_hosts', ['127.0.0.1'], group=opts.GROUP)
        conf.set_override('allowed_ports', [self.data.port],
                          group=opts.GROUP)
        msg = precheck.explain_import_failure(
            image_id, url, 'vmdk', image.status, task['id'],
            task['message'], mode=precheck.WARN, conf=conf)
        self.assertIn('import task %s failed: Task failed due to Internal '
                      'Error' % task['id'], msg)
        if NO_INSPECTOR:
            self.assertIn('may not be of disk_format vmdk', msg)
            return
        self.assertIn('the plugin found one: the data at location %s is '
                      'qcow2, but disk_format is vmdk' % url, msg)
        self.assertIn('Set disk_format: qcow2', msg)
