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

"""The catalog in the resource's validate(), through real Heat and Glance,
and the offline validate command finding exactly what the resource finds.
"""

import os
import subprocess
import sys

import fixtures
from heat.common import exception
from oslo_config import cfg
import yaml

from heat_glance_props import opts
from tests.functional import base
from tests.harness import heat

SCRIPT = os.path.join(os.path.dirname(sys.executable), 'heat-glance-props')

#: A template with several mistakes, over several resources.
MISTAKES = """\
heat_template_version: 2021-04-16
parameters:
  image_url: {type: string}
  timeout: {type: number, default: 60}
resources:
  vtpm:
    type: OS::Glance::Image
    properties:
      name: vtpm
      disk_format: raw
      container_format: bare
      location: {get_param: image_url}
      properties:
        hw_tpm_modle: tpm-crb
        hw_tpm_version: "3.0"
        hw_machine_type: "q35 "
        hw_qemu_guest_agent: "yes"
  stx:
    type: OS::Glance::Image
    properties:
      name: stx
      disk_format: raw
      container_format: bare
      location: {get_param: image_url}
      properties:
        hw_wrs_live_migration_timeout: {get_param: timeout}
        sw_wrs_auto_recovery: "yes"
        cache_raw_status: Cached
      extra_properties:
        hw_wrs_live_migration_max_downtime: 50
  glance_rules:
    type: OS::Glance::Image
    properties:
      name: glance-rules
      disk_format: raw
      container_format: bare
      location: {get_param: image_url}
      properties:
        os_glance_x: "1"
        hw_tpm_model: wrong-and-also-reported
  good:
    type: OS::Glance::Image
    properties:
      name: good
      disk_format: raw
      container_format: bare
      location: {get_param: image_url}
      properties:
        hw_qemu_guest_agent: "no"
        hw_wrs_live_migration_timeout: 0
        site_key: anything
"""


class CatalogValidationTest(base.FunctionalTestCase):

    def setUp(self):
        super(CatalogValidationTest, self).setUp()
        opts.register_opts(cfg.CONF)

    def set_option(self, name, value):
        cfg.CONF.set_override(name, value, group=opts.GROUP)
        self.addCleanup(cfg.CONF.clear_override, name, group=opts.GROUP)

    def assert_refused(self, properties, *fragments):
        counter = self.counter()
        stk = heat.build_stack(self.ctx, self.template(properties=properties),
                               {'image_url': self.image_url()})
        err = self.assertRaises(exception.StackValidationFailed,
                                stk.validate)
        message = str(err)
        self.assertIn('Resource "image"', message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        self.assertEqual([], [r for r in counter.since() if r[0] != 'GET'])
        return message

    def test_strict_refuses_with_key_value_allowed_and_source(self):
        self.assert_refused(
            {'hw_wrs_live_migration_timeout': 60},
            "'hw_wrs_live_migration_timeout'", "'60'",
            'allowed: an integer from 120 to 800, or 0 (seconds)',
            'source: starlingx:')
        self.assert_refused(
            {'hw_tpm_modle': 'tpm-crb'},
            "'hw_tpm_modle'", "did you mean 'hw_tpm_model'?")
        self.assert_refused({'cache_raw_url': 'rbd://x'},
                            "'cache_raw_url'", 'must not be set')
        self.assert_refused({'hw_qemu_guest_agent': 'maybe'},
                            "'maybe'", 'a boolean')

    def test_strict_accepts_good_values(self):
        stk = heat.build_stack(self.ctx, self.template(properties={
            'hw_qemu_guest_agent': 'yes', 'hw_tpm_model': 'tpm-crb',
            'hw_tpm_version': 2.0, 'hw_wrs_live_migration_timeout': 0,
            'sw_wrs_auto_recovery': True, 'site_key': 'x'}),
            {'image_url': self.image_url()})
        stk.validate()

    def test_warn_logs_and_creates(self):
        self.set_option('catalog_mode', 'warn')
        stk = self.create_stack(self.template(properties={
            'hw_tpm_model': 'tpm-foo'}))
        self.assertEqual({'hw_tpm_model': 'tpm-foo'}, self.props(stk))
        self.assertIn('WARNING [heat_glance_props.resources.image] Resource '
                      '"image": key \'hw_tpm_model\' in \'properties\' has '
                      'value \'tpm-foo\'', self.logger.output)

    def test_off_says_nothing(self):
        self.set_option('catalog_mode', 'off')
        stk = heat.build_stack(self.ctx, self.template(properties={
            'hw_tpm_model': 'tpm-foo', 'hw_tpm_modle': 'x'}),
            {'image_url': self.image_url()})
        stk.validate()
        self.assertNotIn('hw_tpm_mod', self.logger.output)
        # The rules Glance itself enforces still apply.
        self.assert_refused({'os_glance_x': '1'}, 'reserved')

    def test_operator_catalog_file(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'site.yaml')
        with open(path, 'w') as f:
            yaml.safe_dump({
                'hw_tpm_modle': {'type': 'string', 'source': 'site'},
                'site_tier': {'type': 'enum', 'values': ['gold'],
                              'source': 'site catalog'}}, f)
        self.set_option('catalog_files', [path])
        stk = heat.build_stack(self.ctx, self.template(properties={
            'hw_tpm_modle': 'x', 'site_tier': 'gold'}),
            {'image_url': self.image_url()})
        stk.validate()
        self.assert_refused({'site_tier': 'bronze'},
                            'one of gold', 'source: site catalog')

    def test_broken_operator_catalog_file(self):
        self.set_option('catalog_files', ['/nonexistent/site.yaml'])
        self.assert_refused({'k': 'v'}, 'cannot read catalog file')

    def test_validate_command_finds_what_the_resource_finds(self):
        tmpdir = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tmpdir, 'mistakes.yaml')
        with open(path, 'w') as f:
            f.write(MISTAKES)

        # The resource: each resource's own validate() in a real stack.
        stk = heat.build_stack(self.ctx, MISTAKES,
                               {'image_url': self.image_url()})
        by_resource = {}
        for name in sorted(stk.resources):
            try:
                stk.resources[name].validate()
            except exception.StackValidationFailed as exc:
                by_resource[name] = str(exc)
        self.assertEqual(['glance_rules', 'stx', 'vtpm'],
                         sorted(by_resource))

        # The command: offline, in a fresh process.
        proc = subprocess.run([SCRIPT, 'validate', path, '-P',
                               'image_url=http://example.com/x'],
                              capture_output=True, text=True)
        self.assertEqual(1, proc.returncode, proc.stderr)
        found = {}
        for line in proc.stdout.splitlines():
            _file, res, key, level, message = line.split(': ', 4)
            self.assertEqual('error', level)
            found.setdefault(res, []).append((key, message))

        self.assertEqual(sorted(by_resource), sorted(found))
        for name, message in by_resource.items():
            # Same findings, same words, same order.
            expected = 'Resource "%s": %s' % (
                name, '; '.join(m for _k, m in found[name]))
            self.assertEqual(expected, message)
        self.assertEqual(
            ['hw_machine_type', 'hw_tpm_modle', 'hw_tpm_version'],
            [k for k, _m in found['vtpm']])
        self.assertEqual(
            ['cache_raw_status', 'hw_wrs_live_migration_timeout',
             'sw_wrs_auto_recovery', 'hw_wrs_live_migration_max_downtime'],
            [k for k, _m in found['stx']])
        # Glance's rule and the catalog, in one pass.
        self.assertEqual(['os_glance_x', 'hw_tpm_model'],
                         [k for k, _m in found['glance_rules']])
