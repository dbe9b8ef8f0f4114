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

"""Image properties on their way to Nova's servers, through the services.

A stack of an ``OS::Glance::Image`` and an ``OS::Nova::Server`` (the
shipped ``heat_templates/server_image_properties.yaml``) on the
mini-cloud's Heat, Glance and Nova, driven with the ``openstack``
command as the member ``demo``; what a server was built with is read
from the compute API at microversion 2.98 (``openstack server show``
prints the image as ``name (id)`` and leaves ``image.properties`` out)
and with ``heat-glance-props stale-servers``.
"""

import http.server
import json
import os
import subprocess
import threading
import uuid

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
from keystoneclient.v3 import client as ks_client
from testtools import content
import yaml

from tests.minicloud import base
from tests.minicloud import cloud as minicloud
from tests.minicloud import common

TEMPLATE = os.path.join(minicloud.REPO_ROOT, 'heat_templates',
                        'server_image_properties.yaml')

#: The template's properties that Nova shows at 2.98 (owner_team is
#: copied too, but not shown: not a name of Nova's schema).
SHOWN = {'os_distro': 'ubuntu', 'hw_disk_bus': 'virtio',
         'hw_rng_model': 'virtio', 'hw_video_ram': '64'}


#: Keystone sessions by user and thread: each asks for its token once.
_SESSIONS = {}


class NovaTestCase(base.MiniCloudTestCase):
    """Helpers for servers: boot, show at 2.98, delete."""

    def setUp(self):
        super(NovaTestCase, self).setUp()
        self.addOnException(self._attach_nova_logs)

    def _attach_nova_logs(self, exc_info):
        for binary in ('nova-api', 'nova-compute', 'nova-conductor',
                       'nova-scheduler'):
            path = self.cloud.nova.log(binary)
            if os.path.exists(path):
                with open(path, errors='replace') as f:
                    tail = f.read()[-20000:]
                self.addDetail(binary, content.text_content(tail))

    def session(self, user=minicloud.MEMBER_USER):
        """A keystoneauth session of ``user`` (one per thread)."""
        key = (user, threading.get_ident())
        if key not in _SESSIONS:
            project = ('admin' if user == 'admin'
                       else minicloud.MEMBER_PROJECT)
            auth = v3.Password(auth_url=self.cloud.keystone_url,
                               username=user,
                               password=self.cloud.passwords[user],
                               project_name=project,
                               user_domain_id='default',
                               project_domain_id='default')
            _SESSIONS[key] = ks_session.Session(auth=auth)
        return _SESSIONS[key]

    def run_command(self, *args, user=minicloud.MEMBER_USER, env=None):
        """A console script of this virtualenv, as ``user``."""
        full_env = self.cloud.env(user)
        full_env.update(env or {})
        return subprocess.run([common.venv_bin(args[0])] + list(args[1:]),
                              env=full_env, cwd=minicloud.REPO_ROOT,
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=300)

    def compute(self, method, path, user=minicloud.MEMBER_USER, **kwargs):
        """A raw compute API request at microversion 2.98."""
        headers = {'OpenStack-API-Version': 'compute 2.98'}
        return self.session(user).request(
            self.cloud.nova.url + path, method, headers=headers,
            raise_exc=False, **kwargs)

    def server(self, server_id, user=minicloud.MEMBER_USER):
        resp = self.compute('GET', '/servers/%s' % server_id, user=user)
        self.assertEqual(200, resp.status_code, resp.text)
        return resp.json()['server']

    def shown(self, server_id):
        """``image.properties`` of a server, as Nova shows them."""
        return self.server(server_id)['image']['properties']

    def openstack_bg(self, *args, user=minicloud.MEMBER_USER):
        """Start the ``openstack`` command; :meth:`finish` waits for it."""
        return subprocess.Popen(
            [common.venv_bin('openstack')] + list(args),
            env=self.cloud.env(user), cwd=minicloud.REPO_ROOT,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)

    def finish(self, proc):
        out, err = proc.communicate(timeout=300)
        self.assertEqual(0, proc.returncode, 'openstack %s failed:\n%s' % (
            ' '.join(proc.args[1:]), err))
        return out

    def boot_bg(self, name, image_id):
        """``openstack server create --wait`` in the background."""
        self.addCleanup(self.openstack, 'server', 'delete', '--wait', name,
                        check=False)
        return self.openstack_bg(
            'server', 'create', '--flavor', self.cloud.nova.flavor['name'],
            '--image', image_id, '--nic', 'none', '--wait', '-f', 'json',
            name)

    def stale(self, *args, user=minicloud.MEMBER_USER, env=None):
        """``heat-glance-props stale-servers``: (status, JSON or text)."""
        proc = self.run_command('heat-glance-props', 'stale-servers',
                                *args, user=user, env=env)
        if '--format' in args and proc.stdout:
            return proc.returncode, json.loads(proc.stdout), proc.stderr
        return proc.returncode, proc.stdout, proc.stderr


class NovaJourneyTest(NovaTestCase):

    def test_example_template_passes_validate(self):
        # Offline, as a stack create would take it: every parameter
        # given; only the flavor, a custom constraint that needs a cloud,
        # is left unchecked.
        proc = self.run_command(
            'heat-glance-props', 'validate', '--require-parameters',
            '-P', 'image_url=http://127.0.0.1:9/x.img',
            '-P', 'flavor=%s' % self.cloud.nova.flavor['name'], TEMPLATE)
        self.assertEqual(0, proc.returncode, proc.stdout + proc.stderr)
        self.assertEqual([
            "%s: server: -: skipped: not checked: custom constraint "
            "nova.flavor (value 'hgp.tiny') needs a cloud" % TEMPLATE,
            '%s: OK, 1 image resource(s) checked' % TEMPLATE,
        ], proc.stdout.splitlines())

    def test_update_in_place_reaches_new_and_rebuilt_servers_only(self):
        url = self.cloud.data.add('img-%s' % uuid.uuid4().hex, size=65536)
        name = 'nova-%s' % uuid.uuid4().hex[:8]
        flavor = self.cloud.nova.flavor['name']
        self.openstack('stack', 'create', '--wait', '-t', TEMPLATE,
                       '--parameter', 'image_url=%s' % url,
                       '--parameter', 'flavor=%s' % flavor, name)
        self.addCleanup(self.openstack, 'stack', 'delete', '--yes',
                        '--wait', name, check=False)
        outputs = dict((o['output_key'], o['output_value']) for o in
                       self.openstack_json('stack', 'show',
                                           name)['outputs'])
        image_id = outputs['image_id']
        stack_server = outputs['server_id']
        created = self.raw_image(image_id)['created_at']

        # A second server from the image, before the update (it will be
        # rebuilt).
        rebuilt = 'rebuilt-%s' % uuid.uuid4().hex[:8]
        rebuilt_id = json.loads(self.finish(
            self.boot_bg(rebuilt, image_id)))['id']

        # Nova shows the template's values (owner_team is not shown).
        for server_id in (stack_server, rebuilt_id):
            self.assertEqual(SHOWN, self.shown(server_id))
            self.assertEqual(image_id, self.server(server_id)['image']['id'])

        # Nothing is stale yet.
        status, found, err = self.stale('--stack', name, '--format', 'json')
        self.assertEqual(0, status, err)
        self.assertEqual([image_id], [r['image'] for r in found])
        self.assertEqual(
            sorted([stack_server, rebuilt_id]),
            sorted(s['id'] for s in found[0]['servers']))
        self.assertFalse(any(s['stale'] for s in found[0]['servers']))
        self.assertEqual(['owner_team'], found[0]['not_shown_by_nova'])

        # A stack update changes one property in place.
        creates = self.image_creates()
        with open(TEMPLATE) as f:
            tmpl = yaml.safe_load(f)
        props = tmpl['resources']['image']['properties']['properties']
        props['hw_video_ram'] = 128
        self.openstack('stack', 'update', '--wait',
                       '-t', self.write_template(tmpl),
                       '--parameter', 'image_url=%s' % url,
                       '--parameter', 'flavor=%s' % flavor, name)
        self.assertEqual('UPDATE_COMPLETE', self.openstack_json(
            'stack', 'show', name)['stack_status'])
        # The same image, by Glance's own records.
        image = self.raw_image(image_id)
        self.assertEqual(created, image['created_at'])
        self.assertEqual('128', image['hw_video_ram'])
        self.assertEqual(creates, self.image_creates())

        # The running servers still show the old value.
        for server_id in (stack_server, rebuilt_id):
            self.assertEqual(SHOWN, self.shown(server_id))

        # A rebuild from the same image and a new server, side by side.
        new = 'new-%s' % uuid.uuid4().hex[:8]
        rebuild = self.openstack_bg('server', 'rebuild', '--image',
                                    image_id, '--wait', rebuilt)
        boot = self.boot_bg(new, image_id)
        self.finish(rebuild)
        new_id = json.loads(self.finish(boot))['id']
        updated = dict(SHOWN, hw_video_ram='128')
        self.assertEqual(updated, self.shown(rebuilt_id))
        self.assertEqual(updated, self.shown(new_id))
        self.assertEqual(SHOWN, self.shown(stack_server))

        # stale-servers lists exactly the server built before the update.
        status, found, err = self.stale('--stack', name, '--format', 'json')
        self.assertEqual(3, status, err)
        servers = dict((s['id'], s) for s in found[0]['servers'])
        self.assertEqual(sorted([stack_server, rebuilt_id, new_id]),
                         sorted(servers))
        self.assertEqual([stack_server],
                         [i for i, s in servers.items() if s['stale']])
        self.assertEqual([{'key': 'hw_video_ram', 'at_build': '64',
                           'now': '128'}],
                         servers[stack_server]['differences'])
        # The text form, by image name.
        status, out, err = self.stale('app-image')
        self.assertEqual(3, status, err)
        self.assertIn('1 of 3 server(s) run on older properties', out)
        self.assertIn("hw_video_ram: '64' at build, '128' now", out)
        self.assertIn('app-server', out)
        self.assertIn('not shown by Nova, not compared: owner_team', out)

        # The stack's server was never touched, and the image id never
        # changed.
        self.assertEqual(image_id, self.openstack_json(
            'stack', 'output', 'show', name, 'image_id')['output_value'])
        self.assertEqual(stack_server, self.openstack_json(
            'stack', 'resource', 'show', name,
            'server')['physical_resource_id'])

        # An admin sees the member's servers with --all-projects.
        status, found, err = self.stale(image_id, '--all-projects',
                                        '--format', 'json', user='admin')
        self.assertEqual(3, status, err)
        self.assertEqual([stack_server],
                         [s['id'] for s in found[0]['servers']
                          if s['stale']])


class _OldNovaHandler(http.server.BaseHTTPRequestHandler):
    """The version document of a compute API that stops at 2.96."""

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        body = json.dumps({'version': {
            'id': 'v2.1', 'status': 'CURRENT', 'version': '2.96',
            'min_version': '2.1', 'updated': '2013-07-23T11:33:21Z',
            'links': []}}).encode('utf-8')
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class StaleServersErrorsTest(NovaTestCase):
    """Bad input: a clear message, an exit status, nothing else."""

    def admin_keystone(self):
        return ks_client.Client(session=self.session('admin'),
                                interface='public')

    def region(self, name, endpoints):
        """A Keystone region with these (service type, URL) endpoints."""
        ks = self.admin_keystone()
        region = ks.regions.create(id=name)
        self.addCleanup(ks.regions.delete, region)
        services = dict((s.type, s) for s in ks.services.list())
        for kind, url in endpoints:
            endpoint = ks.endpoints.create(services[kind], url,
                                           interface='public',
                                           region=region)
            self.addCleanup(ks.endpoints.delete, endpoint)

    def test_no_image_or_stack(self):
        status, out, err = self.stale()
        self.assertEqual(2, status)
        self.assertIn('name an image', err)

    def test_unknown_image_and_stack(self):
        status, out, err = self.stale(str(uuid.uuid4()))
        self.assertEqual(4, status, err)
        self.assertIn('no such image, or not visible to you', err)
        self.assertEqual('', out)
        status, out, err = self.stale('--stack', 'no-such-stack')
        self.assertEqual(4, status, err)
        self.assertIn('stack no-such-stack: not found', err)

    def test_no_permission(self):
        # The member asks for every project's servers: Nova's policy
        # refuses (403).
        image_id = self.admin_image()
        status, out, err = self.stale(image_id, '--all-projects')
        self.assertEqual(5, status, err)
        self.assertIn('not allowed (HTTP 403)', err)
        self.assertIn('get_all_tenants', err)

    def test_image_of_another_project(self):
        # The admin project's private image: Glance does not show it to
        # the member.
        image_id = self.admin_image(visibility='private')
        status, out, err = self.stale(image_id)
        self.assertEqual(4, status, err)
        self.assertIn('no such image, or not visible to you', err)
        status, out, err = self.stale(image_id, user='admin')
        self.assertEqual(0, status, err)
        self.assertIn('0 of 0 server(s)', out)

    def admin_image(self, visibility='public'):
        image = self.openstack_json(
            'image', 'create', '--disk-format', 'raw', '--container-format',
            'bare', '--%s' % visibility, '--property', 'hw_disk_bus=virtio',
            'admin-%s' % uuid.uuid4().hex[:8], user='admin')
        self.addCleanup(self.openstack, 'image', 'delete', image['id'],
                        user='admin', check=False)
        return image['id']

    def test_no_compute_endpoint(self):
        # A region of the real Keystone whose catalog has Glance only.
        region = 'NoNova%s' % uuid.uuid4().hex[:6]
        self.region(region, [('image', self.cloud.glance.url)])
        status, out, err = self.stale(self.admin_image(),
                                      env={'OS_REGION_NAME': region})
        self.assertEqual(6, status, err)
        self.assertIn('the compute service: the cloud has no endpoint '
                      'for it', err)

    def test_compute_api_older_than_2_98(self):
        # No Nova older than 2.98 runs here: a stand-in answers the
        # version document of a compute API that stops at 2.96 (Nova 30,
        # 2024.2), in a region of the real Keystone. The only request the
        # command makes to it is that one.
        httpd = http.server.ThreadingHTTPServer((common.HOST, 0),
                                                _OldNovaHandler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        self.addCleanup(httpd.server_close)
        self.addCleanup(httpd.shutdown)
        region = 'OldNova%s' % uuid.uuid4().hex[:6]
        self.region(region, [
            ('image', self.cloud.glance.url),
            ('compute', 'http://%s:%d/v2.1' % (common.HOST,
                                               httpd.server_address[1]))])
        status, out, err = self.stale(self.admin_image(),
                                      env={'OS_REGION_NAME': region})
        self.assertEqual(7, status, err)
        self.assertIn('from microversion 2.98', err)
        self.assertIn("this cloud's goes up to 2.96", err)
