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

"""validate agrees with heat-engine, over many templates in one run.

Runs the installed console script in a fresh process, offline.
"""

import os
import subprocess
import sys
import textwrap

import fixtures
import testtools

SCRIPT = os.path.join(os.path.dirname(sys.executable), 'heat-glance-props')

GOOD = """\
heat_template_version: 2021-04-16
resources:
  image:
    type: OS::Glance::Image
    properties:
      name: good
      disk_format: qcow2
      container_format: bare
      location: http://127.0.0.1:9/good.qcow2
      properties:
        hw_disk_bus: virtio
"""

#: name -> (template, the lines validate prints for it, after "FILE: ")
BAD = {
    'version.yaml': (
        "heat_template_version: 2099-01-01\nresources: {}\n",
        ['-: -: error: The template version is invalid: '
         '"heat_template_version: 2099-01-01". "heat_template_version" '
         'should be one of: ']),
    'no-version.yaml': (
        "resources: {}\n",
        ['-: -: error: Template format version not found.']),
    'no-type.yaml': (
        "heat_template_version: 2021-04-16\n"
        "resources:\n  image:\n    properties: {name: x}\n",
        ['-: -: error: Each resource must contain a type key.']),
    'many.yaml': ("""\
heat_template_version: 2021-04-16
parameters:
  kernel:
    type: string
    default: 11111111-2222-3333-4444-555555555555
    constraints: [{custom_constraint: glance.image}]
resources:
  cache:
    type: OS::Glance::Image
    properties:
      name: x
      disk_format: qcow2
      container_format: bare
      location: http://127.0.0.1:9/x
      cache_raw: true
      properties:
        hw_disk_bus: floppy
  mistyped:
    type: OS::Glance::Image
    properties:
      name: x
      disk_format: qcow2
      container_format: bare
      location: http://127.0.0.1:9/x
      min_disk: lots
  missing:
    type: OS::Glance::Image
    properties:
      name: x
      container_format: bare
      location: http://127.0.0.1:9/x
  param:
    type: OS::Glance::Image
    properties:
      name: {get_param: nothere}
      disk_format: qcow2
      container_format: bare
      location: http://127.0.0.1:9/x
  props:
    type: OS::Glance::Image
    properties:
      name: x
      disk_format: qcow2
      container_format: bare
      location: http://127.0.0.1:9/x
      kernel_id: {get_param: kernel}
      properties:
        status: active
        hw_tpm_modle: tpm-tis
        trait:HW_CPU_X86_AXV2: required
        hw_disk_bus: floppy
        owner_note: %s
""" % ('x' * 300), [
        '-: -: skipped: not checked: custom constraint glance.image '
        "(value '11111111-2222-3333-4444-555555555555') needs a cloud",
        'cache: -: error: Property error: resources.cache.properties: '
        'Unknown Property cache_raw',
        # Heat's refusal and the catalog's finding, for one resource.
        "cache: hw_disk_bus: error: key 'hw_disk_bus' in 'properties' has "
        "value 'floppy'",
        'missing: -: error: Property error: resources.missing.properties: '
        'Property disk_format not assigned',
        'mistyped: -: error: Property error: '
        'resources.mistyped.properties.min_disk: Value \'lots\' is not an '
        'integer',
        'param: -: error: Property error: resources.param.properties.name: '
        'The Parameter (nothere) was not provided.',
        "props: status: error: key 'status' in 'properties' is a read-only",
        "props: hw_disk_bus: error: key 'hw_disk_bus' in 'properties' has "
        "value 'floppy'",
        "props: hw_tpm_modle: error: key 'hw_tpm_modle' in 'properties' is "
        "not a known image property; did you mean 'hw_tpm_model'?",
        "props: trait:HW_CPU_X86_AXV2: error: key 'trait:HW_CPU_X86_AXV2' "
        "in 'properties' names 'HW_CPU_X86_AXV2'",
        "props: owner_note: warning: key 'owner_note' in 'properties' has "
        "a value of 300 bytes (UTF-8); Nova keeps only the first 255",
    ]),
}


class ScriptTestCase(testtools.TestCase):
    """Runs validate on templates written to a temporary directory."""

    def setUp(self):
        super(ScriptTestCase, self).setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(textwrap.dedent(text))
        return path

    def run_script(self, *args):
        proc = subprocess.run([SCRIPT, 'validate'] + list(args),
                              capture_output=True, text=True, timeout=300)
        return proc.returncode, proc.stdout, proc.stderr

    def assert_lines(self, path, wanted, out):
        got = [line[len(path) + 2:] for line in out.splitlines()
               if line.startswith(path + ': ')]
        self.assertEqual(len(wanted), len(got), '\n'.join(got))
        for want, line in zip(wanted, got):
            self.assertTrue(line.startswith(want), '%r\n%r' % (want, line))


class ValidateLikeHeatTest(ScriptTestCase):

    def test_every_mistake_of_every_template_in_one_run(self):
        paths = dict((name, self.write(name, text))
                     for name, (text, _lines) in BAD.items())
        good = self.write('good.yaml', GOOD)
        rc, out, err = self.run_script(good, *sorted(paths.values()))
        self.assertEqual(1, rc, err)
        self.assertIn('%s: OK, 1 image resource(s) checked' % good, out)
        for name, (_text, lines) in BAD.items():
            self.assert_lines(paths[name], lines, out)
        self.assertNotIn('Traceback', err)
        self.assertIn('5 template(s) checked, 4 with errors', err)

    def test_a_good_template_alone_passes(self):
        good = self.write('good.yaml', GOOD)
        rc, out, err = self.run_script(good)
        self.assertEqual(0, rc, out + err)

    def test_directories_are_searched_for_templates(self):
        self.write('stacks/a/good.yaml', GOOD)
        self.write('stacks/b/no-type.yaml', BAD['no-type.yaml'][0])
        # An environment file and other YAML are not templates.
        self.write('stacks/a/env.yaml', 'parameters: {x: 1}\n')
        self.write('stacks/a/notes.txt', 'heat_template_version: no\n')
        self.write('stacks/.hidden/t.yaml', BAD['no-type.yaml'][0])
        rc, out, err = self.run_script(os.path.join(self.dir, 'stacks'))
        self.assertEqual(1, rc, err)
        files = sorted(set(line.split(': ')[0] for line in out.splitlines()))
        self.assertEqual([os.path.join(self.dir, 'stacks', 'a', 'good.yaml'),
                          os.path.join(self.dir, 'stacks', 'b',
                                       'no-type.yaml')], files)
        self.assertIn('2 template(s) checked, 1 with errors', err)

    def test_parameters_go_to_the_templates_that_declare_them(self):
        good = self.write('good.yaml', GOOD)
        with_param = self.write('param.yaml', """\
            heat_template_version: 2021-04-16
            parameters:
              image_url: {type: string}
            resources:
              image:
                type: OS::Glance::Image
                properties:
                  name: p
                  disk_format: qcow2
                  container_format: bare
                  location: {get_param: image_url}
            """)
        url = 'image_url=http://127.0.0.1:9/x.img'
        rc, out, err = self.run_script(good, with_param, '-P', url)
        self.assertEqual(0, rc, out + err)
        # One template alone gets what the command line says, as in Heat.
        rc, out, err = self.run_script(good, '-P', url)
        self.assertEqual(1, rc, out + err)
        self.assertIn('The Parameter (image_url) was not defined in '
                      'template.', out)

    def test_a_stack_with_a_server_attributes_and_outputs(self):
        # get_attr of resources that do not exist yet resolves to None, as
        # in heat-engine's validation; other resource types are checked
        # too; their custom constraints are skipped.
        tmpl = self.write('server.yaml', """\
            heat_template_version: 2021-04-16
            parameters:
              flavor:
                type: string
                default: m1.small
                constraints: [{custom_constraint: nova.flavor}]
            resources:
              image:
                type: OS::Glance::Image
                properties:
                  name: cirros
                  disk_format: qcow2
                  container_format: bare
                  location: http://127.0.0.1:9/cirros.img
              server:
                type: OS::Nova::Server
                properties:
                  image: {get_resource: image}
                  flavor: {get_param: flavor}
                  user_data_format: RAW
                  user_data: {get_attr: [image, show, name]}
            outputs:
              ip: {value: {get_attr: [server, first_address]}}
            """)
        rc, out, err = self.run_script(tmpl)
        self.assertEqual(0, rc, out + err)
        self.assertIn('%s: server: -: skipped: not checked: custom '
                      "constraint nova.flavor (value 'm1.small') needs a "
                      'cloud' % tmpl, out)
        self.assertIn('%s: OK, 1 image resource(s) checked' % tmpl, out)
        with open(tmpl) as f:
            text = f.read()
        with open(tmpl, 'w') as f:
            f.write(text.replace('user_data_format: RAW',
                                 'user_data_format: TEXT'))
        rc, out, err = self.run_script(tmpl)
        self.assertEqual(1, rc, out + err)
        self.assertIn('%s: server: -: error: Property error: '
                      'resources.server.properties.user_data_format: '
                      '"TEXT" is not an allowed value' % tmpl, out)

    def test_nested_templates_and_get_file(self):
        # As "openstack stack create" does, files the template names are
        # read relative to it; a nested template is checked with the
        # parameters its resource gives it.
        parent = self.write('stack/parent.yaml', """\
            heat_template_version: 2021-04-16
            resources:
              child:
                type: nested/child.yaml
                properties:
                  url: http://127.0.0.1:9/x.img
            """)
        self.write('stack/nested/child.yaml', """\
            heat_template_version: 2021-04-16
            parameters:
              url: {type: string}
            resources:
              image:
                type: OS::Glance::Image
                properties:
                  name: c
                  disk_format: qcow2
                  container_format: bare
                  location: {get_param: url}
                  properties:
                    hw_disk_bus: floppy
                    note: {get_file: note.txt}
              bad:
                type: OS::Glance::Image
                properties:
                  name: b
                  disk_format: qcow2
                  container_format: bare
                  location: {get_param: url}
                  cache_raw: true
            """)
        self.write('stack/nested/note.txt', 'n' * 300)
        rc, out, err = self.run_script(parent)
        self.assertEqual(1, rc, out + err)
        self.assert_lines(parent, [
            'child/bad: -: error: Property error: resources.bad.properties: '
            'Unknown Property cache_raw',
            "child/image: hw_disk_bus: error: key 'hw_disk_bus' in "
            "'properties' has value 'floppy'",
            "child/image: note: warning: key 'note' in 'properties' has a "
            "value of 300 bytes",
        ], out)
        self.assertIn('2 error(s), 1 warning(s) in 2 image resource(s)',
                      err)

    def test_what_the_resource_validate_refuses_beyond_the_maps(self):
        # Heat's GlanceWebImage.validate and the plugin's is_public check,
        # as heat-engine runs them; the catalog's finding only once.
        tmpl = self.write('engine.yaml', """\
            heat_template_version: 2021-04-16
            resources:
              ami:
                type: OS::Glance::Image
                properties:
                  name: a
                  disk_format: qcow2
                  container_format: ami
                  location: http://127.0.0.1:9/x.img
              members:
                type: OS::Glance::Image
                properties:
                  name: m
                  disk_format: qcow2
                  container_format: bare
                  location: http://127.0.0.1:9/x.img
                  members: [project-a]
                  properties: {hw_disk_bus: floppy}
              public:
                type: OS::Glance::Image
                properties:
                  name: p
                  disk_format: qcow2
                  container_format: bare
                  location: http://127.0.0.1:9/x.img
                  is_public: true
                  visibility: private
            """)
        rc, out, err = self.run_script(tmpl)
        self.assertEqual(1, rc, out + err)
        self.assert_lines(tmpl, [
            'ami: -: error: Invalid mix of disk and container formats.',
            "members: hw_disk_bus: error: key 'hw_disk_bus' in 'properties' "
            "has value 'floppy'",
            'members: -: error: members property should only be specified '
            'for visibility with value shared.',
            'public: -: error: Resource "public": "is_public" is True but '
            '"visibility" is "private"',
        ], out)
        self.assertEqual('', err.replace(
            '%s: 4 error(s), 0 warning(s) in 3 image resource(s)\n' % tmpl,
            ''))

    def test_an_empty_directory(self):
        os.makedirs(os.path.join(self.dir, 'empty'))
        rc, out, err = self.run_script(os.path.join(self.dir, 'empty'))
        self.assertEqual(1, rc)
        self.assertIn('no template found', err)


class ParametersWithoutValueTest(ScriptTestCase):
    """As "openstack orchestration template validate": not an error."""

    TEMPLATE = """\
        heat_template_version: 2021-04-16
        parameters:
          image_url: {type: string}
          bus: {type: string}
          fmt: {type: string, constraints: [{allowed_values: [qcow2, raw]}]}
          props: {type: json}
        resources:
          image:
            type: OS::Glance::Image
            properties:
              name: {list_join: ['-', [image, {get_param: bus}]]}
              disk_format: qcow2
              container_format: bare
              location: {get_param: image_url}
              properties:
                hw_disk_bus: {get_param: bus}
                hw_tpm_modle: tpm-crb
          ami:
            type: OS::Glance::Image
            properties:
              name: a
              disk_format: {get_param: fmt}
              container_format: ami
              location: http://127.0.0.1:9/x.img
          whole:
            type: OS::Glance::Image
            properties:
              name: w
              disk_format: qcow2
              container_format: bare
              location: http://127.0.0.1:9/x.img
              properties: {get_param: props}
              is_public: true
              visibility: private
        """

    def test_values_of_unset_parameters_are_not_checked(self):
        tmpl = self.write('t.yaml', self.TEMPLATE)
        rc, out, err = self.run_script(tmpl)
        self.assertEqual(1, rc, out + err)
        self.assert_lines(tmpl, [
            "ami: disk_format: skipped: not checked: property "
            "'disk_format' needs parameter 'fmt', which has no value",
            # Heat's check of the format mix needs disk_format: it stops
            # there instead of judging a value nobody gave.
            "ami: -: skipped: not checked: the rest of the resource's own "
            "validation, which reads property 'disk_format'",
            "image: name: skipped: not checked: property 'name' needs "
            "parameter 'bus', which has no value",
            "image: location: skipped: not checked: property 'location' "
            "needs parameter 'image_url', which has no value",
            "image: hw_disk_bus: skipped: not checked: key 'hw_disk_bus' "
            "in 'properties' needs parameter 'bus', which has no value",
            # The mistake beside them is found all the same.
            "image: hw_tpm_modle: error: key 'hw_tpm_modle' in "
            "'properties' is not a known image property; did you mean "
            "'hw_tpm_model'?",
            "whole: properties: skipped: not checked: property "
            "'properties' needs parameter 'props', which has no value",
            # The resource's other checks go on without the map.
            'whole: -: error: Resource "whole": "is_public" is True but '
            '"visibility" is "private"',
        ], out)
        self.assertIn('2 error(s), 0 warning(s) in 3 image resource(s)',
                      err)

        # As heat-engine's stack create, on request.
        rc, out, err = self.run_script(tmpl, '--require-parameters')
        self.assertEqual(1, rc, out + err)
        self.assert_lines(tmpl, [
            '-: -: error: The Parameter (image_url) was not provided.'],
            out)

        # A value that is given is checked, with or without the others.
        rc, out, err = self.run_script(tmpl, '-P', 'fmt=vmdk')
        self.assertEqual(1, rc, out + err)
        self.assert_lines(tmpl, [
            "-: -: error: Parameter 'fmt' is invalid: \"vmdk\" is not an "
            "allowed value"], out)
        rc, out, err = self.run_script(tmpl, '-P', 'bus=floppy', '-P',
                                       'fmt=raw', '-P', 'props={}')
        self.assertEqual(1, rc, out + err)
        self.assert_lines(tmpl, [
            'ami: -: error: Invalid mix of disk and container formats.',
            "image: location: skipped: not checked: property 'location' "
            "needs parameter 'image_url', which has no value",
            "image: hw_disk_bus: error: key 'hw_disk_bus' in 'properties' "
            "has value 'floppy'",
            "image: hw_tpm_modle: error: key 'hw_tpm_modle'",
            'whole: -: error: Resource "whole": "is_public" is True',
        ], out)

    def test_a_first_class_property_without_its_value(self):
        # A first-class property that needs a parameter without a value
        # reads as not set: the same key in a map is checked alone.
        tmpl = self.write('first.yaml', """\
            heat_template_version: 2021-04-16
            parameters:
              distro: {type: string}
            resources:
              image:
                type: OS::Glance::Image
                properties:
                  name: x
                  disk_format: qcow2
                  container_format: bare
                  location: http://127.0.0.1:9/x.img
                  os_distro: {get_param: distro}
                  architecture: x86-64
                  properties:
                    os_distro: ubuntu
            """)
        rc, out, err = self.run_script(tmpl)
        self.assertEqual(1, rc, out + err)
        self.assert_lines(tmpl, [
            "image: os_distro: skipped: not checked: property 'os_distro' "
            "needs parameter 'distro', which has no value",
            "image: architecture: error: property 'architecture' has value "
            "'x86-64'; allowed: one of",
        ], out)
        # Given another value: the two values are refused.
        rc, out, err = self.run_script(tmpl, '-P', 'distro=debian')
        self.assertEqual(1, rc, out + err)
        self.assert_lines(tmpl, [
            "image: os_distro: error: key 'os_distro' in 'properties' is "
            "'ubuntu', but the resource property 'os_distro' is 'debian'",
            "image: architecture: error: property 'architecture' has value "
            "'x86-64'",
        ], out)
        rc, out, err = self.run_script(tmpl, '-P', 'distro=ubuntu')
        self.assert_lines(tmpl, [
            "image: architecture: error: property 'architecture'"], out)

    def test_a_cfn_template(self):
        # AWS::StackId and the other pseudo parameters need the project of
        # the stack; Ref of a parameter without a value is not checked.
        tmpl = self.write('cfn.json', """\
            {"AWSTemplateFormatVersion": "2010-09-09",
             "Parameters": {"Url": {"Type": "String"}},
             "Resources": {"Img": {"Type": "OS::Glance::Image",
               "Properties": {"name": {"Ref": "AWS::StackName"},
                 "disk_format": "qcow2", "container_format": "bare",
                 "location": {"Ref": "Url"},
                 "properties": {"hw_disk_bus": {"Ref": "Url"},
                                "hw_tpm_modle": "tpm-crb"}}}}}
            """)
        rc, out, err = self.run_script(tmpl)
        self.assertEqual(1, rc, out + err)
        self.assert_lines(tmpl, [
            "Img: location: skipped: not checked: property 'location' "
            "needs parameter 'Url', which has no value",
            "Img: hw_disk_bus: skipped: not checked: key 'hw_disk_bus' in "
            "'properties' needs parameter 'Url', which has no value",
            "Img: hw_tpm_modle: error: key 'hw_tpm_modle' in 'properties' "
            "is not a known image property",
        ], out)

    def test_resource_registry_maps_types_to_local_templates(self):
        # As "openstack stack create -e": a registry entry that names a
        # file is read relative to the environment file (or its
        # base_url), and heat-engine builds the resource from it.
        tmpl = self.write('stack/t.yaml', """\
            heat_template_version: 2021-04-16
            parameters:
              image_url: {type: string}
            resources:
              plain:
                type: My::Image
                properties:
                  url: {get_param: image_url}
              special:
                type: My::Image
                properties:
                  url: http://127.0.0.1:9/x.img
            """)
        env = self.write('envs/site.yaml', """\
            resource_registry:
              My::Image: ../nested/image.yaml
              resources:
                special:
                  My::Image: ../nested/other.yaml
            """)
        self.write('nested/image.yaml', """\
            heat_template_version: 2021-04-16
            parameters:
              url: {type: string}
            resources:
              inner:
                type: OS::Glance::Image
                properties:
                  name: i
                  disk_format: qcow2
                  container_format: bare
                  location: {get_param: url}
                  properties:
                    hw_disk_bus: floppy
                    note: {get_file: note.txt}
            """)
        self.write('nested/note.txt', 'n' * 300)
        self.write('nested/other.yaml', """\
            heat_template_version: 2021-04-16
            parameters:
              url: {type: string}
            resources:
              inner:
                type: OS::Glance::WebImage
                properties:
                  name: o
                  disk_format: qcow2
                  container_format: bare
                  location: {get_param: url}
                  extra_properties:
                    os_glance_x: "1"
            """)
        rc, out, err = self.run_script(tmpl, '-e', env)
        self.assertEqual(1, rc, out + err)
        self.assert_lines(tmpl, [
            "plain: url: skipped: not checked: property 'url' needs "
            "parameter 'image_url', which has no value",
            "plain/inner: location: skipped: not checked: property "
            "'location' needs parameter 'url', which has no value",
            "plain/inner: hw_disk_bus: error: key 'hw_disk_bus' in "
            "'properties' has value 'floppy'",
            "plain/inner: note: warning: key 'note' in 'properties' has a "
            "value of 300 bytes",
            "special/inner: os_glance_x: warning: key 'os_glance_x' in "
            "'extra_properties'",
        ], out)
        self.assertIn('1 error(s), 2 warning(s) in 2 image resource(s)',
                      err)

        # A registry entry naming a file that is not there.
        with open(env, 'a') as f:
            f.write('  My::Other: ../nested/missing.yaml\n')
        rc, out, err = self.run_script(tmpl, '-e', env)
        self.assertEqual(1, rc, out + err)
        self.assert_lines(tmpl, ['-: -: error: cannot read %s' % os.path.join(
            self.dir, 'nested', 'missing.yaml')], out)
