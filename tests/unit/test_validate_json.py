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

"""validate --format json: one document with every finding, for CI jobs.

Runs the installed console script in a fresh process, offline, and holds
the JSON document against the text output of the same run: the same
findings, the same exit status.
"""

import json
import os

from tests.unit import test_validate_heat

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
HEAT_TEMPLATES = os.path.join(REPO, 'heat_templates')

FIELDS = ['file', 'resource', 'type', 'map', 'key', 'level', 'source',
          'message']

#: A finding of every source, and a value not checked.
MISTAKES = """\
heat_template_version: 2021-04-16
parameters:
  image_url: {type: string}
  kernel:
    type: string
    default: 11111111-2222-3333-4444-555555555555
    constraints: [{custom_constraint: glance.image}]
resources:
  image:
    type: OS::Glance::Image
    properties:
      name: x
      disk_format: qcow2
      container_format: bare
      location: {get_param: image_url}
      kernel_id: {get_param: kernel}
      properties:
        status: active
        hw_tpm_modle: tpm-crb
        owner_note: %s
  web:
    type: OS::Glance::WebImage
    properties:
      name: w
      disk_format: qcow2
      container_format: bare
      location: http://127.0.0.1:9/x.img
      cache_raw: true
""" % ('x' * 300)


class ValidateJsonTest(test_validate_heat.ScriptTestCase):

    def both(self, *args):
        """The JSON document and the text lines of one check."""
        rc, out, err = self.run_script('--format', 'json', *args)
        self.assertNotIn('Traceback', err)
        self.assertEqual('', err)  # nothing but the document
        doc = json.loads(out)
        text_rc, text_out, _err = self.run_script(*args)
        self.assertEqual(text_rc, rc)
        lines = [line.split(': ', 4) for line in text_out.splitlines()]
        findings = [tuple(parts) for parts in lines if len(parts) == 5]
        return rc, doc, findings

    def assert_same_findings(self, doc, text_findings):
        for finding in doc['findings']:
            self.assertEqual(FIELDS, sorted(finding, key=FIELDS.index))
        as_text = [(f['file'], f['resource'] or '-', f['key'] or '-',
                    f['level'], f['message']) for f in doc['findings']]
        self.assertEqual(text_findings, as_text)

    def test_heat_templates_pass_with_no_parameters(self):
        rc, doc, text = self.both(HEAT_TEMPLATES)
        self.assertEqual(0, rc)
        self.assert_same_findings(doc, text)
        count = 0
        for _top, _dirs, names in os.walk(HEAT_TEMPLATES):
            count += sum(1 for n in names if n.endswith('.yaml'))
        self.assertEqual({'templates': count, 'with_errors': 0, 'errors': 0,
                          'warnings': 0, 'skipped': len(doc['findings'])},
                         doc['summary'])
        self.assertEqual(count, len(doc['templates']))
        for tmpl in doc['templates']:
            self.assertEqual(['image'], tmpl['images'], tmpl['file'])
            self.assertEqual(0, tmpl['errors'], tmpl['file'])
            # Only the image's data location is unknown without -P.
            location = [f for f in doc['findings']
                        if f['file'] == tmpl['file'] and
                        f['key'] == 'location']
            self.assertEqual([('image', 'skipped', 'parameters')],
                             [(f['resource'], f['level'], f['source'])
                              for f in location], tmpl['file'])
            self.assertIn("needs parameter 'image_url', which has no value",
                          location[0]['message'])

    def test_every_finding_of_every_template(self):
        bad = self.write('bad.yaml', MISTAKES)
        good = self.write('good.yaml', """\
            heat_template_version: 2021-04-16
            resources:
              image:
                type: OS::Glance::Image
                properties:
                  name: g
                  disk_format: qcow2
                  container_format: bare
                  location: http://127.0.0.1:9/g.img
            """)
        broken = os.path.join(self.dir, 'none.yaml')  # cannot be read
        rc, doc, text = self.both(bad, good, broken)
        self.assertEqual(1, rc)
        self.assert_same_findings(doc, text)
        got = [(f['file'], f['resource'], f['map'], f['key'], f['level'],
                f['source']) for f in doc['findings']]
        self.assertEqual([
            (bad, None, None, None, 'skipped', 'heat'),
            (bad, 'image', None, 'location', 'skipped', 'parameters'),
            (bad, 'image', 'properties', 'status', 'error', 'glance'),
            (bad, 'image', 'properties', 'hw_tpm_modle', 'error',
             'catalog'),
            (bad, 'image', 'properties', 'owner_note', 'warning', 'nova'),
            (bad, 'web', None, None, 'error', 'heat'),
            (broken, None, None, None, 'error', 'heat'),
        ], got)
        types = dict((f['resource'], f['type']) for f in doc['findings'])
        self.assertEqual({None: None, 'image': 'OS::Glance::Image',
                          'web': 'OS::Glance::WebImage'}, types)
        messages = [f['message'] for f in doc['findings']]
        self.assertIn('custom constraint glance.image', messages[0])
        self.assertIn("'status' in 'properties' is a read-only", messages[2])
        self.assertIn('Unknown Property cache_raw', messages[5])
        self.assertIn('cannot read', messages[6])
        self.assertEqual([(bad, ['image', 'web'], 3, 1, 2),
                          (good, ['image'], 0, 0, 0),
                          (broken, [], 1, 0, 0)],
                         [(t['file'], t['images'], t['errors'],
                           t['warnings'], t['skipped'])
                          for t in doc['templates']])
        self.assertEqual({'templates': 3, 'with_errors': 2, 'errors': 4,
                          'warnings': 1, 'skipped': 2}, doc['summary'])

    def test_require_parameters_and_warnings_only(self):
        bad = self.write('bad.yaml', MISTAKES)
        rc, doc, text = self.both(bad, '--require-parameters')
        self.assertEqual(1, rc)
        self.assert_same_findings(doc, text)
        self.assertEqual([(None, 'error', 'heat',
                           'The Parameter (image_url) was not provided.')],
                         [(f['resource'], f['level'], f['source'],
                           f['message']) for f in doc['findings']])

        # Warnings alone: exit status 0, as in the text format.
        note = self.write('note.yaml', """\
            heat_template_version: 2021-04-16
            resources:
              image:
                type: OS::Glance::Image
                properties:
                  name: n
                  disk_format: qcow2
                  container_format: bare
                  location: http://127.0.0.1:9/n.img
                  properties:
                    note: %s
            """ % ('n' * 300))
        rc, doc, text = self.both(note)
        self.assertEqual(0, rc)
        self.assert_same_findings(doc, text)
        self.assertEqual(['warning'], [f['level'] for f in doc['findings']])

    def test_fatal_errors_are_documents_too(self):
        empty = os.path.join(self.dir, 'empty')
        os.makedirs(empty)
        rc, out, err = self.run_script('--format', 'json', empty)
        self.assertEqual(1, rc)
        doc = json.loads(out)
        self.assertEqual([('error', 'heat')], [(f['level'], f['source'])
                                               for f in doc['findings']])
        self.assertIn('no template found', doc['findings'][0]['message'])

        tmpl = self.write('t.yaml', MISTAKES)
        catalog = self.write('catalog.yaml', 'hw_x: {type: colour}\n')
        rc, out, err = self.run_script('--format', 'json', tmpl,
                                       '--catalog', catalog)
        self.assertEqual(1, rc)
        doc = json.loads(out)
        self.assertEqual([(None, 'error', 'catalog')],
                         [(f['file'], f['level'], f['source'])
                          for f in doc['findings']])
        self.assertIn('catalog.yaml', doc['findings'][0]['message'])
