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

"""introspect URL, compressed files and the location check.

Every URL is served by a real HTTP server on 127.0.0.1
(tests/unit/imageserver.py) from the committed fixture images.
"""

import bz2
import gzip
import io
import lzma
import os
import subprocess
import sys

import fixtures
import testtools

from heat_glance_props.cmd import cli
from heat_glance_props import introspect
from heat_glance_props import precheck
from tests.unit import imageserver

IMAGES = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'fixtures', 'images')
MiB = 1024 * 1024

#: The smallest valid zstd frame (RFC 8878): the magic number, a frame
#: header (single segment, content size 0) and one last raw block of
#: size 0. The standard library of Python 3.11 cannot write zstd.
ZSTD_EMPTY = b'\x28\xb5\x2f\xfd\x20\x00\x01\x00\x00'


def _fixture(name):
    with open(os.path.join(IMAGES, name), 'rb') as f:
        return f.read()


def _padded(name, size=8 * MiB):
    """A fixture with zeros after it, as a big image would have data."""
    data = _fixture(name)
    return data + b'\0' * (size - len(data))


def _compressed():
    qcow2 = _fixture('disk.qcow2')
    return {'gzip': gzip.compress(qcow2), 'xz': lzma.compress(qcow2),
            'bzip2': bz2.compress(qcow2), 'zstd': ZSTD_EMPTY}


class ServerFixture(fixtures.Fixture):

    def _setUp(self):
        self.server = imageserver.ImageServer()
        self.addCleanup(self.server.stop)


def _template_file(test, text):
    """A template file with ``text``, in a directory of the test's own."""
    path = os.path.join(test.useFixture(fixtures.TempDir()).path, 't.yaml')
    with open(path, 'w') as f:
        f.write(text)
    return path


def engine_conf(server):
    """heat.conf options that let heat-engine's check read ``server``.

    Those the harness gives Glance: its host and port.
    """
    from oslo_config import cfg

    from heat_glance_props import opts

    conf = cfg.ConfigOpts()
    conf([])
    opts.register_opts(conf)
    conf.set_override('allowed_hosts', ['127.0.0.1'], group=opts.GROUP)
    conf.set_override('allowed_ports', [server.port], group=opts.GROUP)
    return conf


class RemoteIntrospectTest(testtools.TestCase):

    def setUp(self):
        super(RemoteIntrospectTest, self).setUp()
        self.server = self.useFixture(ServerFixture()).server

    def test_qcow2_with_range_requests_reads_only_the_start(self):
        url = self.server.add('big.qcow2', _padded('disk.qcow2'))
        result = introspect.inspect(url)
        self.assertEqual(('qcow2', 2, 1536 * MiB),
                         (result.disk_format, result.min_disk,
                          result.virtual_size))
        requests = self.server.requests('big.qcow2')
        self.assertTrue(all(r[1] and r[1].startswith('bytes=')
                            for r in requests), requests)
        # Of 8 MiB, the inspectors needed well under one.
        self.assertLess(self.server.sent('big.qcow2'), MiB)

    def test_vmdk_properties_from_a_url(self):
        url = self.server.add('disk.vmdk', _fixture('stream-lsilogic.vmdk'))
        result = introspect.inspect(url)
        self.assertEqual(('vmdk', {'vmware_disktype': 'streamOptimized',
                                   'hw_disk_bus': 'scsi',
                                   'hw_scsi_model': 'lsilogic'}),
                         (result.disk_format, result.properties))

    def test_server_that_ignores_range(self):
        url = self.server.add('whole.qcow2', _padded('disk.qcow2'),
                              mode='no-range')
        result = introspect.inspect(url)
        self.assertEqual('qcow2', result.disk_format)
        # One GET, read as a stream and closed early.
        self.assertEqual(1, len(self.server.requests('whole.qcow2')))

    def test_raw_size_comes_from_the_server(self):
        url = self.server.add('disk.raw', b'\x01' * (3 * MiB))
        result = introspect.inspect(url)
        self.assertEqual(('raw', 3 * MiB, 1),
                         (result.disk_format, result.virtual_size,
                          result.min_disk))

    def test_redirect_is_followed(self):
        url = self.server.add('old.qcow2', _fixture('disk.qcow2'),
                              mode='redirect')
        self.assertEqual('qcow2', introspect.inspect(url).disk_format)
        self.assertNotEqual([], self.server.requests('moved-old.qcow2'))
        # The range header went along with the redirect.
        self.assertTrue(all(r[1] for r in
                            self.server.requests('moved-old.qcow2')))

    def test_errors(self):
        url = self.server.add('gone.qcow2', b'', mode='missing')
        err = self.assertRaises(introspect.ImageError, introspect.inspect,
                                url)
        self.assertIn('HTTP 404', str(err))
        url = self.server.add('slow.qcow2', _fixture('disk.qcow2'),
                              mode='slow', delay=3)
        err = self.assertRaises(introspect.ImageError, introspect.inspect,
                                url, timeout=0.3)
        self.assertIn('cannot read %s' % url, str(err))
        err = self.assertRaises(introspect.ImageError, introspect.inspect,
                                'http://127.0.0.1:%d/x' % _closed_port())
        self.assertIn('cannot read', str(err))

    def test_size_limit(self):
        # The ISO inspector needs more than 32 KiB to decide.
        url = self.server.add('data.raw', b'\x01' * MiB)
        err = self.assertRaises(introspect.ImageError, introspect.inspect,
                                url, max_bytes=8192)
        self.assertIn('still undecided after 8192 bytes', str(err))
        self.assertLess(self.server.sent('data.raw'), 8192 + 1)

    def test_unsafe_image_at_a_url(self):
        url = self.server.add('b.qcow2', _fixture('unsafe-backing-file.qcow2'))
        err = self.assertRaises(introspect.UnsafeImage, introspect.inspect,
                                url)
        self.assertIn('backing file', '; '.join(err.reasons))

    def test_command_line(self):
        url = self.server.add('cli.qcow2', _fixture('disk.qcow2'))
        out = self.useFixture(fixtures.MonkeyPatch('sys.stdout',
                                                   io.StringIO())).new_value
        self.assertEqual(0, cli.main(['introspect', url]))
        self.assertIn('# cli.qcow2: qcow2, virtual size', out.getvalue())
        self.assertIn('disk_format: qcow2', out.getvalue())


def _closed_port():
    import socket
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class CompressedTest(testtools.TestCase):

    def test_compressed_files_are_refused_with_what_to_do(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        tools = {'gzip': 'gunzip', 'xz': 'unxz', 'bzip2': 'bunzip2',
                 'zstd': 'unzstd'}
        for kind, data in _compressed().items():
            path = os.path.join(tmp, 'disk.qcow2.' + kind)
            with open(path, 'wb') as f:
                f.write(data)
            err = self.assertRaises(introspect.CompressedImage,
                                    introspect.inspect, path)
            self.assertEqual(kind, err.compression)
            self.assertIn('is a %s-compressed file, not a disk image' % kind,
                          str(err))
            self.assertIn('e.g. %s' % tools[kind], str(err))
            self.assertIn('image_decompression import plugin', str(err))

    def test_compressed_url(self):
        server = self.useFixture(ServerFixture()).server
        url = server.add('disk.qcow2.gz', _compressed()['gzip'])
        self.assertRaises(introspect.CompressedImage, introspect.inspect,
                          url)

    def test_command_line(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tmp, 'disk.qcow2.xz')
        with open(path, 'wb') as f:
            f.write(_compressed()['xz'])
        err = self.useFixture(fixtures.MonkeyPatch('sys.stderr',
                                                   io.StringIO())).new_value
        self.assertEqual(1, cli.main(['introspect', path]))
        self.assertIn('xz-compressed', err.getvalue())


class LocationCheckTest(testtools.TestCase):

    def setUp(self):
        super(LocationCheckTest, self).setUp()
        self.server = self.useFixture(ServerFixture()).server

    def test_raw_declared_for_qcow2_data(self):
        url = self.server.add('cloud.img', _padded('disk.qcow2'))
        (level, message), = precheck.check_location(url, 'raw')
        self.assertEqual(precheck.ERROR, level)
        self.assertIn('the data at location %s is qcow2, but disk_format '
                      'is raw' % url, message)
        self.assertIn('Nova would boot the qcow2 bytes as a raw disk',
                      message)
        self.assertIn('heat-glance-props introspect %s' % url, message)

    def test_vmdk_declared_for_qcow2_data(self):
        url = self.server.add('cloud.img', _fixture('disk.qcow2'))
        (level, message), = precheck.check_location(url, 'vmdk')
        self.assertIn('is qcow2, but disk_format is vmdk', message)
        self.assertIn('Internal Error', message)

    def test_matching_and_unchecked(self):
        url = self.server.add('cloud.img', _fixture('disk.qcow2'))
        self.assertEqual([], precheck.check_location(url, 'qcow2'))
        sent = len(self.server.requests())
        # Nothing is read for a format the inspector does not know, or a
        # location that is not an http(s) URL.
        self.assertEqual([], precheck.check_location(url, 'aki'))
        self.assertEqual([], precheck.check_location('file:///x', 'raw'))
        self.assertEqual(sent, len(self.server.requests()))

    def test_unreadable_is_a_warning_compressed_an_error(self):
        url = self.server.add('gone.img', b'', mode='missing')
        (level, message), = precheck.check_location(url, 'qcow2')
        self.assertEqual(precheck.WARNING, level)
        self.assertIn('HTTP 404', message)
        url = self.server.add('c.img', _compressed()['zstd'])
        (level, message), = precheck.check_location(url, 'qcow2')
        self.assertEqual(precheck.ERROR, level)
        self.assertIn('zstd-compressed', message)

    def test_before_create(self):
        bad = self.server.add('bad.img', _fixture('disk.qcow2'))
        gone = self.server.add('gone.img', b'', mode='missing')
        conf = engine_conf(self.server)
        err = self.assertRaises(precheck.LocationMismatch,
                                precheck.before_create, bad, 'raw',
                                precheck.STRICT, conf=conf)
        self.assertIn('is qcow2, but disk_format is raw', str(err))
        # Data heat-engine cannot read never refuses a create.
        warnings = precheck.before_create(gone, 'raw', precheck.STRICT,
                                          conf=conf)
        self.assertEqual(1, len(warnings))
        warnings = precheck.before_create(bad, 'raw', precheck.WARN,
                                          conf=conf)
        self.assertIn('is qcow2', warnings[0])
        before = len(self.server.requests())
        self.assertEqual([], precheck.before_create(bad, 'raw',
                                                    precheck.OFF))
        # Nor data it may not read: with heat.conf's defaults (ports 80
        # and 443, no loopback) it reads nothing here.
        warning, = precheck.before_create(bad, 'raw', precheck.STRICT)
        self.assertIn('may not read it', warning)
        self.assertEqual(before, len(self.server.requests()))
        self.assertRaises(ValueError, precheck.before_create, bad, 'raw',
                          'loud')


class ValidateCheckLocationsTest(testtools.TestCase):
    """validate --check-locations, as the console script, offline."""

    def test_raw_declared_for_qcow2_data_is_an_error(self):
        server = self.useFixture(ServerFixture()).server
        qcow2 = server.add('cloud.img', _padded('disk.qcow2'))
        path = _template_file(self, """\
heat_template_version: 2021-04-16
parameters:
  url: {type: string}
resources:
  declared_raw:
    type: OS::Glance::Image
    properties:
      name: a
      disk_format: raw
      container_format: bare
      location: {get_param: url}
  declared_qcow2:
    type: OS::Glance::Image
    properties:
      name: b
      disk_format: qcow2
      container_format: bare
      location: {get_param: url}
""")
        script = os.path.join(os.path.dirname(sys.executable),
                              'heat-glance-props')
        proc = subprocess.run([script, 'validate', path, '-P', 'url=' + qcow2],
                              capture_output=True, text=True, timeout=300)
        # Without the flag nothing is read.
        self.assertEqual(0, proc.returncode, proc.stdout + proc.stderr)
        self.assertEqual([], server.requests())
        proc = subprocess.run([script, 'validate', path, '-P', 'url=' + qcow2,
                               '--check-locations'],
                              capture_output=True, text=True, timeout=300)
        self.assertEqual(1, proc.returncode, proc.stdout + proc.stderr)
        lines = proc.stdout.splitlines()
        self.assertEqual(1, len(lines), proc.stdout)
        self.assertIn('%s: declared_raw: location: error: the data at '
                      'location %s is qcow2, but disk_format is raw'
                      % (path, qcow2), lines[0])


class CommandLineReadsWhatTheUserNamesTest(testtools.TestCase):
    """The command line is the user's own request, from their machine.

    It reads any URL (loopback, redirects) unless validate is asked for
    heat-engine's filter with --filter-locations.
    """

    def test_introspect_reads_a_loopback_url_through_a_redirect(self):
        here = self.useFixture(ServerFixture()).server
        other = imageserver.ImageServer(host='127.0.0.2')
        self.addCleanup(other.stop)
        target = other.add('disk.qcow2', _fixture('disk.qcow2'))
        url = here.add('moved.qcow2', b'', mode='redirect', to=target)
        out = self.useFixture(fixtures.MonkeyPatch('sys.stdout',
                                                   io.StringIO())).new_value
        self.assertEqual(0, cli.main(['introspect', url]))
        self.assertIn('disk_format: qcow2', out.getvalue())
        self.assertNotEqual([], other.requests('disk.qcow2'))

    def test_validate_filter_locations(self):
        server = self.useFixture(ServerFixture()).server
        qcow2 = server.add('cloud.img', _fixture('disk.qcow2'))
        path = _template_file(self, """\
heat_template_version: 2021-04-16
resources:
  image:
    type: OS::Glance::Image
    properties:
      name: a
      disk_format: raw
      container_format: bare
      location: %s
""" % qcow2)
        conf = os.path.join(os.path.dirname(path), 'heat.conf')
        with open(conf, 'w') as f:
            f.write('[glance_properties]\nallowed_hosts = [127.0.0.1]\n'
                    'allowed_ports = [%d]\n' % server.port)
        script = os.path.join(os.path.dirname(sys.executable),
                              'heat-glance-props')
        # heat-engine's defaults: no loopback, ports 80 and 443. Nothing
        # is read; the location is reported as not checked.
        proc = subprocess.run([script, 'validate', path, '--check-locations',
                               '--filter-locations'],
                              capture_output=True, text=True, timeout=300)
        self.assertEqual(0, proc.returncode, proc.stdout + proc.stderr)
        self.assertIn('image: location: warning: did not check the data at '
                      'location %s' % qcow2, proc.stdout)
        self.assertIn('the port %d is not in allowed_ports' % server.port,
                      proc.stdout)
        self.assertEqual([], server.requests())
        # With the heat.conf that allows the server, it is read.
        proc = subprocess.run([script, 'validate', path, '--check-locations',
                               '--filter-locations', '--config-file', conf],
                              capture_output=True, text=True, timeout=300)
        self.assertEqual(1, proc.returncode, proc.stdout + proc.stderr)
        self.assertIn('is qcow2, but disk_format is raw', proc.stdout)
        self.assertNotEqual([], server.requests())


class OptionsTest(testtools.TestCase):

    def test_location_check_settings(self):
        from oslo_config import cfg

        from heat_glance_props import opts

        conf = cfg.ConfigOpts()
        conf([])
        self.assertEqual(('off', 64 * MiB, 10.0),
                         opts.location_check_settings(conf))
        conf.set_override('location_check', 'strict',
                          group='glance_properties')
        self.assertEqual('strict', opts.location_check_settings(conf)[0])
        self.assertRaises(ValueError, conf.set_override, 'location_check',
                          'loud', group='glance_properties')


class ImportFailureTest(testtools.TestCase):

    def test_a_generic_failure_names_the_disk_format_mismatch(self):
        server = self.useFixture(ServerFixture()).server
        url = server.add('cloud.img', _fixture('disk.qcow2'))
        generic = 'Task failed due to Internal Error'
        msg = precheck.explain_import_failure(
            'img-1', url, 'vmdk', 'queued', 'task-1', generic,
            mode=precheck.WARN, conf=engine_conf(server))
        self.assertIn('the plugin found one: the data at location %s is '
                      'qcow2, but disk_format is vmdk' % url, msg)
        # With the check off, heat-engine reads nothing and says what to
        # check.
        before = len(server.requests())
        msg = precheck.explain_import_failure(
            'img-1', url, 'vmdk', 'queued', 'task-1', generic)
        self.assertIn('may not be of disk_format vmdk', msg)
        self.assertEqual(before, len(server.requests()))
