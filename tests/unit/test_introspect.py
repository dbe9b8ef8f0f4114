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

"""introspect on the committed fixture images (made with qemu-img)."""

import io
import json
import os

import fixtures
import testtools
import yaml

from heat_glance_props.cmd import cli
from heat_glance_props import introspect

IMAGES = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'fixtures', 'images')

GiB = 1024 ** 3

#: fixture -> (disk_format, min_disk, properties, virtual size)
SAFE = {
    'disk.qcow2': ('qcow2', 2, {}, 1536 * 1024 ** 2),
    'disk.raw': ('raw', 1, {}, 64 * 1024),
    'stream-lsilogic.vmdk': ('vmdk', 1, {
        'vmware_disktype': 'streamOptimized', 'hw_disk_bus': 'scsi',
        'hw_scsi_model': 'lsilogic'}, GiB),
    'stream-ide.vmdk': ('vmdk', 1, {
        'vmware_disktype': 'streamOptimized', 'hw_disk_bus': 'ide'},
        100 * 1024 ** 2),
    'sparse-ide.vmdk': ('vmdk', 1, {
        'vmware_disktype': 'sparse', 'hw_disk_bus': 'ide'}, 16 * 1024 ** 2),
    'sparse-buslogic.vmdk': ('vmdk', 1, {
        'vmware_disktype': 'sparse', 'hw_disk_bus': 'scsi',
        'hw_scsi_model': 'buslogic'}, 16 * 1024 ** 2),
    'sparse-legacyesx.vmdk': ('vmdk', 1, {
        'vmware_disktype': 'sparse', 'hw_disk_bus': 'scsi'},
        16 * 1024 ** 2),
}

#: fixture -> a fragment of the reason it is refused
UNSAFE = {
    'unsafe-backing-file.qcow2': 'backing file',
    'unsafe-data-file.qcow2': 'data_file',
    'unsafe-flat.vmdk': 'Unsupported subformat',
    'unsafe-parent.vmdk': 'parent disk',
}


def _path(name):
    return os.path.join(IMAGES, name)


class IntrospectTest(testtools.TestCase):

    def test_every_fixture_is_covered(self):
        images = set(n for n in os.listdir(IMAGES) if n != 'README.rst')
        self.assertEqual(images, set(SAFE) | set(UNSAFE))

    def test_safe_images(self):
        for name, (fmt, min_disk, props, size) in SAFE.items():
            result = introspect.inspect(_path(name))
            self.assertEqual((fmt, 'bare', min_disk, props, size),
                             (result.disk_format, result.container_format,
                              result.min_disk, result.properties,
                              result.virtual_size), name)

    def test_legacy_esx_adapter_leaves_the_model_to_the_author(self):
        result = introspect.inspect(_path('sparse-legacyesx.vmdk'))
        self.assertEqual(1, len(result.notes))
        self.assertIn('hw_scsi_model yourself', result.notes[0])

    def test_unsafe_images_are_refused(self):
        for name, fragment in UNSAFE.items():
            err = self.assertRaises(introspect.UnsafeImage,
                                    introspect.inspect, _path(name))
            self.assertIn(fragment, '; '.join(err.reasons), name)

    def test_other_adapters(self):
        # The buslogic fixture with another adapter name written into its
        # descriptor (NUL padding adjusted so that nothing else moves).
        tmp = self.useFixture(fixtures.TempDir()).path
        with open(_path('sparse-buslogic.vmdk'), 'rb') as f:
            original = f.read()
        old = b'ddb.adapterType = "buslogic"'
        self.assertIn(old, original)
        for adapter, expected in [('pvscsi', ('scsi', 'vmpvscsi')),
                                  ('lsisas1068', ('scsi', 'lsisas1068')),
                                  ('lsilogic', ('scsi', 'lsilogic')),
                                  ('floppy', None)]:
            new = b'ddb.adapterType = "%s"' % adapter.encode()
            data = original.replace(old, new, 1)
            end = data.index(b'\x00', 512)
            delta = len(new) - len(old)
            if delta > 0:
                self.assertEqual(b'\x00' * delta, data[end:end + delta])
                data = data[:end] + data[end + delta:]
            else:
                data = data[:end] + b'\x00' * -delta + data[end:]
            self.assertEqual(len(original), len(data))
            path = os.path.join(tmp, adapter + '.vmdk')
            with open(path, 'wb') as f:
                f.write(data)
            result = introspect.inspect(path)
            if expected is None:
                self.assertNotIn('hw_disk_bus', result.properties)
                self.assertIn('unknown VMDK adapter type "floppy"',
                              result.notes[0])
            else:
                self.assertEqual(expected,
                                 (result.properties['hw_disk_bus'],
                                  result.properties['hw_scsi_model']))

    def test_missing_file(self):
        err = self.assertRaises(introspect.ImageError, introspect.inspect,
                                '/nonexistent/disk.img')
        self.assertIn('cannot read', str(err))


class IntrospectCommandTest(testtools.TestCase):

    def run_cli(self, *argv):
        out, err = io.StringIO(), io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        rc = cli.main(list(argv))
        return rc, out.getvalue(), err.getvalue()

    def test_yaml_pastes_into_a_template(self):
        rc, out, err = self.run_cli('introspect',
                                    _path('stream-lsilogic.vmdk'))
        self.assertEqual(0, rc, err)
        self.assertTrue(out.startswith(
            '# stream-lsilogic.vmdk: vmdk (streamOptimized), virtual size '
            '1073741824 bytes\n'), out)
        self.assertEqual({
            'disk_format': 'vmdk', 'container_format': 'bare',
            'min_disk': 1, 'properties': {
                'hw_disk_bus': 'scsi', 'hw_scsi_model': 'lsilogic',
                'vmware_disktype': 'streamOptimized'}}, yaml.safe_load(out))

    def test_json(self):
        rc, out, err = self.run_cli('introspect', '--format', 'json',
                                    _path('disk.qcow2'))
        self.assertEqual(0, rc, err)
        self.assertEqual({'disk_format': 'qcow2', 'container_format': 'bare',
                          'min_disk': 2, 'properties': {}}, json.loads(out))

    def test_every_safe_fixture_through_the_command(self):
        for name, (fmt, min_disk, props, _size) in SAFE.items():
            rc, out, err = self.run_cli('introspect', _path(name))
            self.assertEqual(0, rc, err)
            snippet = yaml.safe_load(out)
            self.assertEqual((fmt, min_disk, props),
                             (snippet['disk_format'], snippet['min_disk'],
                              snippet['properties']), name)

    def test_unsafe_is_refused_with_exit_status_1(self):
        for name, fragment in UNSAFE.items():
            rc, out, err = self.run_cli('introspect', _path(name))
            self.assertEqual(1, rc, name)
            self.assertEqual('', out)
            self.assertIn('refusing %s' % _path(name), err)
            self.assertIn(fragment, err)

    def test_missing_file(self):
        rc, out, err = self.run_cli('introspect', '/nonexistent.vmdk')
        self.assertEqual(1, rc)
        self.assertIn('cannot read /nonexistent.vmdk', err)

    def test_vmware_template_properties_came_from_introspect(self):
        rc, out, err = self.run_cli('introspect',
                                    _path('stream-lsilogic.vmdk'))
        snippet = yaml.safe_load(out)
        repo = os.path.dirname(os.path.dirname(os.path.dirname(IMAGES)))
        with open(os.path.join(repo, 'heat_templates', 'vmware',
                               'vmware_image.yaml')) as f:
            tmpl = yaml.safe_load(f)
        props = tmpl['resources']['image']['properties']
        for key in ('disk_format', 'container_format', 'min_disk'):
            self.assertEqual(snippet[key], props[key], key)
        for key, value in snippet['properties'].items():
            self.assertEqual(value, props['properties'][key], key)
