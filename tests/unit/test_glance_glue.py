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

"""The plain Glance modules and the Heat resource agree.

heat_glance_props.glance.plan names the resource's properties itself (it
imports nothing of Heat); these tests hold those names to the resource's
schema, and show that the plain modules load without Heat.
"""

import subprocess
import sys

import testtools

from heat_glance_props.glance import plan

_NO_HEAT = '''
import sys
from heat_glance_props.glance import calls, plan, progress
from heat_glance_props import livestate
heat = sorted(m for m in sys.modules if m == 'heat' or m.startswith('heat.'))
print(' '.join(heat) or 'no heat')
'''


class GlueTest(testtools.TestCase):

    def test_property_names_are_the_resources(self):
        from heat_glance_props.resources import image

        cls = image.GlanceImage
        for const in ('NAME', 'IMAGE_ID', 'MIN_DISK', 'MIN_RAM', 'PROTECTED',
                      'DISK_FORMAT', 'CONTAINER_FORMAT', 'TAGS', 'OWNER',
                      'VISIBILITY', 'IS_PUBLIC', 'EXTRA_PROPERTIES',
                      'IMAGE_PROPERTIES', 'MEMBERS', 'ACTIVE', 'STORES',
                      'EXPECTED_HASH', 'HIDDEN'):
            self.assertEqual(getattr(cls, const), getattr(plan, const),
                             const)
        self.assertEqual((cls.ARCHITECTURE, cls.KERNEL_ID, cls.OS_DISTRO,
                          cls.OS_VERSION, cls.RAMDISK_ID),
                         plan.FREE_PROPERTIES)
        self.assertEqual(
            set(), (set(plan.CREATE_ATTRIBUTES) |
                    set(plan.UPDATE_ATTRIBUTES)) - set(cls.PROPERTIES))
        self.assertEqual((cls.HASH_ALGORITHM, cls.HASH_VALUE),
                         ('algorithm', 'value'))

    def test_plain_modules_load_without_heat(self):
        proc = subprocess.run([sys.executable, '-c', _NO_HEAT],
                              capture_output=True, text=True)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual('no heat', proc.stdout.strip())
