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

"""The heat-glance-props command: help texts and the validate command.

validate runs as the installed console script, in a fresh process, the way
an author runs it: offline, with Heat's template code and no cloud.
"""

import io
import os

import fixtures
import testtools

from heat_glance_props.cmd import cli
from tests.unit import test_validate_heat

URL = 'image_url=http://127.0.0.1:9/x.img'

TEMPLATE = """\
heat_template_version: 2021-04-16
parameters:
  image_url: {type: string}
  timeout: {type: number, default: 60}
  bus: {type: string}
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
        hw_disk_bus: {get_param: bus}
        os_glance_y: "1"
  web:
    type: OS::Glance::WebImage
    properties:
      name: web
      disk_format: raw
      container_format: bare
      location: {get_param: image_url}
      extra_properties:
        os_glance_x: "1"
  other:
    type: OS::Heat::None
  mapped:
    type: Site::Image
    properties:
      name: mapped
      disk_format: raw
      container_format: bare
      location: {get_param: image_url}
      properties:
        hw_tpm_model: tpm-crb
        hw_tpm_version: "1.2"
"""


class HelpTest(testtools.TestCase):

    def help(self, *argv):
        out = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        err = self.assertRaises(SystemExit, cli.main, list(argv) + ['-h'])
        self.assertEqual(0, err.code)
        # Wrapped to the terminal width: compare words, not lines.
        return ' '.join(out.getvalue().split())

    def test_main_help_lists_every_command(self):
        text = self.help()
        for command in ('plugin-dir', 'validate', 'introspect'):
            self.assertIn(command, text)

    def test_validate_help(self):
        text = self.help('validate')
        for fragment in ('TEMPLATE', '-e ENV', '-P KEY=VALUE',
                         'nothing talks to a cloud',
                         'exits with status 1', '--catalog FILE',
                         '--mode {strict,warn,off}', '--config-file',
                         '--format {text,json}', '--require-parameters'):
            self.assertIn(fragment, text)

    def test_introspect_help(self):
        text = self.help('introspect')
        for fragment in ('IMAGE_FILE', '--format {yaml,json}', 'min_disk',
                         'safety check', 'exit status 1'):
            self.assertIn(fragment, text)

    def test_bad_parameter_syntax(self):
        err = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        exc = self.assertRaises(SystemExit, cli.main,
                                ['validate', 'x.yaml', '-P', 'novalue'])
        self.assertEqual(2, exc.code)
        self.assertIn('expected KEY=VALUE', err.getvalue())


class ValidateCommandTest(test_validate_heat.ScriptTestCase):

    def test_findings_with_environment_and_parameters(self):
        tmpl = self.write('t.yaml', TEMPLATE)
        env = self.write('env.yaml', """\
            parameters:
              bus: virtio
              timeout: 30
            resource_registry:
              Site::Image: OS::Glance::Image
            """)
        rc, out, err = self.run_script(tmpl, '-e', env, '-P', 'timeout=0',
                                       '-P', URL)
        self.assertEqual(1, rc, err)
        lines = out.splitlines()
        prefixes = [line.split(': ', 4)[:4] for line in lines]
        # A type mapped to OS::Glance::Image in the environment is checked.
        # Heat's own WebImage checks nothing in its extra_properties: there
        # the findings are warnings (the verdict is Heat's).
        self.assertEqual([[tmpl, 'mapped', 'hw_tpm_model', 'error'],
                          [tmpl, 'stx', 'os_glance_y', 'error'],
                          [tmpl, 'vtpm', 'hw_tpm_modle', 'error'],
                          [tmpl, 'vtpm', 'hw_tpm_version', 'error'],
                          [tmpl, 'web', 'os_glance_x', 'warning']], prefixes)
        self.assertIn("needs 'hw_tpm_version' to be one of 2.0", lines[0])
        self.assertIn('reserved by Glance', lines[1])
        self.assertIn("did you mean 'hw_tpm_model'?", lines[2])
        self.assertIn("has value '3.0'; allowed: one of 1.2, 2.0",
                      lines[3])
        self.assertIn('reserved by Glance', lines[4])
        self.assertIn('4 error(s), 1 warning(s) in 4 image resource(s)', err)

        # Without -P the environment's 30 s is out of range, and a bus
        # from the command line is checked too.
        rc, out, err = self.run_script(tmpl, '-e', env, '-P', 'bus=floppy',
                                       '-P', URL, '--mode', 'warn')
        self.assertEqual(1, rc, err)  # the Glance rule is still an error
        levels = dict((line.split(': ')[2], line.split(': ')[3])
                      for line in out.splitlines())
        self.assertEqual({'hw_tpm_model': 'warning',
                          'hw_tpm_modle': 'warning',
                          'hw_tpm_version': 'warning',
                          'hw_wrs_live_migration_timeout': 'warning',
                          'hw_disk_bus': 'warning',
                          'os_glance_y': 'error',
                          'os_glance_x': 'warning'}, levels)

    def test_clean_template_operator_catalog_and_config_file(self):
        tmpl = self.write('t.yaml', """\
            heat_template_version: 2021-04-16
            resources:
              image:
                type: OS::Glance::Image
                properties:
                  name: x
                  disk_format: raw
                  container_format: bare
                  location: http://example.com/x.img
                  properties:
                    hw_tpm_mode: ours
                    hw_qemu_guest_agent: "no"
            """)
        rc, out, err = self.run_script(tmpl)
        self.assertEqual(1, rc)
        self.assertIn("did you mean 'hw_tpm_model'?", out)

        site = self.write('site.yaml', 'hw_tpm_mode: {type: string}\n')
        rc, out, err = self.run_script(tmpl, '--catalog', site)
        self.assertEqual(0, rc, out + err)
        self.assertEqual('%s: OK, 1 image resource(s) checked\n' % tmpl, out)
        self.assertEqual('', err)

        conf = self.write('heat.conf', """\
            [glance_properties]
            catalog_mode = off
            """)
        rc, out, err = self.run_script(tmpl, '--config-file', conf)
        self.assertEqual(0, rc, out + err)

    def test_unreadable_template_and_unresolvable_map(self):
        missing = os.path.join(self.dir, 'none.yaml')
        rc, out, err = self.run_script(missing)
        self.assertEqual(1, rc)
        self.assertIn('%s: -: -: error: cannot read' % missing, out)

        tmpl = self.write('t.yaml', """\
            heat_template_version: 2021-04-16
            parameters:
              props: {type: json}
            resources:
              image:
                type: OS::Glance::Image
                properties:
                  name: x
                  disk_format: raw
                  container_format: bare
                  location: http://example.com/x.img
                  properties: {get_param: props}
            """)
        # As Heat's template validate, a parameter without a value is not
        # an error; the map that needs it is not checked, and says so.
        rc, out, err = self.run_script(tmpl)
        self.assertEqual(0, rc, out + err)
        self.assertEqual(
            "%(t)s: image: properties: skipped: not checked: property "
            "'properties' needs parameter 'props', which has no value\n"
            "%(t)s: OK, 1 image resource(s) checked\n" % {'t': tmpl}, out)
        # As a stack create, with --require-parameters.
        rc, out, err = self.run_script(tmpl, '--require-parameters')
        self.assertEqual(1, rc)
        self.assertEqual('%s: -: -: error: The Parameter (props) was not '
                         'provided.\n' % tmpl, out)
        # A value Heat takes but that is not a map of properties.
        rc, out, err = self.run_script(tmpl, '-P', 'props=[1, 2]')
        self.assertEqual(1, rc)
        self.assertIn('%s: image: -: error: Property error: '
                      'resources.image.properties.properties: ' % tmpl, out)
