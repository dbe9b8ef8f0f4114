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

"""A real glance-api on 127.0.0.1 for tests, benchmarks and the demo.

Glance (from PyPI) runs as its WSGI application under gunicorn in a child
process, with a sqlite database and the file store in a temporary
directory. The paste pipeline is Glance's keystone pipeline without
``authtoken``: Glance trusts the identity headers a client sends
(``X-Identity-Status: Confirmed``, ``X-Roles``, ``X-Project-Id``,
``X-User-Id``), so RBAC and image ownership are real. Image data comes
from :class:`DataServer`, a local HTTP server that Glance's web-download
import is allowed to reach.
"""

import atexit
import ctypes
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

#: Keys matching this prefix may only be set by an admin: the harness's
#: Glance has a property protection on them.
PROTECTED_PREFIX = 'x_protected_'

_PASTE = """\
[pipeline:glance-api]
pipeline = cors http_proxy_to_wsgi versionnegotiation osprofiler context \
rootapp

[composite:rootapp]
paste.composite_factory = glance.api:root_app_factory
/: apiversions
/v2: apiv2app

[app:apiversions]
paste.app_factory = glance.api.versions:create_resource

[app:apiv2app]
paste.app_factory = glance.api.v2.router:API.factory

[filter:versionnegotiation]
paste.filter_factory = \
glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory

[filter:context]
paste.filter_factory = glance.api.middleware.context:ContextMiddleware.factory

[filter:osprofiler]
paste.filter_factory = osprofiler.web:WsgiMiddleware.factory

[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = glance
oslo_config_program = glance-api

[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware:HTTPProxyToWSGI.factory
"""

_PROTECTIONS = """\
[^%(prefix)s.*]
create = admin
read = admin,member,reader
update = admin
delete = admin

[.*]
create = @
read = @
update = @
delete = @
"""

_CONF = """\
[DEFAULT]
%(backends)s
enabled_import_methods = [glance-direct,web-download,copy-image]
worker_self_reference_url = %(url)s
image_property_quota = %(quota)d
property_protection_file = %(protections)s
property_protection_rule_format = roles
log_file = %(log)s
debug = false
use_stderr = false

[database]
connection = sqlite:///%(db)s

%(stores)s

[os_glance_staging_store]
filesystem_store_datadir = %(staging)s

[os_glance_tasks_store]
filesystem_store_datadir = %(tasks)s

[import_filtering_opts]
allowed_hosts = [127.0.0.1]
allowed_ports = [%(data_port)d]

[paste_deploy]
config_file = %(paste)s

[oslo_policy]
enforce_new_defaults = true
enforce_scope = false
"""


#: Keys and values the ``inject`` shape's Glance adds to every image that a
#: non-admin imports (``inject_image_metadata``): one is a first-class
#: property of the resource that templates usually leave unset.
INJECTED = {'architecture': 'x86_64', 'injected_site': 'edge-1'}

#: Glance set-ups the harness runs, as operators run them. Property
#: protections (``PROTECTED_PREFIX``) are on in every shape.
#:
#: ``plain``: no import plugin.
#: ``conversion``: ``image_conversion`` stores every image as raw
#: (``qemu-img`` on the PATH; tools/setup-system.sh installs it).
#: ``inject``: ``inject_image_metadata`` adds ``INJECTED``.
SHAPES = {
    'plain': '',
    'conversion': """\
[image_import_opts]
image_import_plugins = ['image_conversion']

[image_conversion]
output_format = raw
""",
    'inject': """\
[image_import_opts]
image_import_plugins = ['inject_image_metadata']

[inject_metadata_properties]
inject = %s
""" % ','.join('%s:%s' % item for item in sorted(INJECTED.items())),
}


#: The file stores of the harness's Glance (``enabled_backends``); the
#: first is the default. ``broken`` is there for tests that break it
#: (see ``GlanceServer.break_store``).
STORES = ('local', 'fast')


def server_python():
    """The interpreter that runs glance-api (glance-manage is beside it).

    ``HGP_GLANCE_PYTHON`` names another one, for tests that run in a
    virtualenv without Glance (e.g. the one with an older Heat release).
    """
    return os.environ.get('HGP_GLANCE_PYTHON') or sys.executable


_RELEASE = []


def release():
    """The version of the Glance the harness runs, as a tuple of ints."""
    if not _RELEASE:
        out = subprocess.run(
            [server_python(), '-c', 'import importlib.metadata as m; '
             'print(m.version("glance"))'],
            check=True, capture_output=True, text=True).stdout
        _RELEASE.append(tuple(int(p) for p in out.strip().split('.')[:3]
                              if p.isdigit()))
    return _RELEASE[0]


def checks_disk_format():
    """Whether this Glance fails an import whose data is not its format.

    Glance 29 (2024.2) and newer do (a vmdk declared for qcow2 data fails
    the import task); Glance 28 (2024.1) imports the data as declared.
    """
    return release() >= (29,)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _die_with_parent():
    """Ask Linux to stop the child when the test process dies."""
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class _DataHandler(http.server.BaseHTTPRequestHandler):
    server_version = 'harness-data/1'

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        server = self.server
        name = self.path.lstrip('/')
        server.hits.append(name)
        data = server.blobs.get(name)
        mode = server.modes.get(name)
        if data is None or mode == 'missing':
            self.send_error(404, 'No such image data')
            return
        if mode == 'held':
            # Glance's import waits here until the test releases the data.
            server.gates[name].wait(HELD_DATA_TIMEOUT)
        if mode == 'redirect':
            self.send_response(302)
            self.send_header('Location', server.redirects[name])
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if mode == 'truncate':
            # Send half the data, then close the connection mid-transfer.
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        view = memoryview(data)
        for start in range(0, len(data), 1 << 20):
            self.wfile.write(view[start:start + (1 << 20)])


#: The longest data added with ``mode='held'`` waits for its release.
HELD_DATA_TIMEOUT = 120

#: How long the image data of a create waits for the create's PATCH.
PATCH_GATE_S = 30


class DataAfterPatch(bytes):
    """Image data that Glance can fetch only after the create's PATCH.

    Heat's own ``OS::Glance::WebImage`` starts the web-download import,
    then sets ``extra_properties`` with glanceclient's ``images.update``
    (GET, PATCH, GET) while Glance imports. Glance's PATCH reads the image,
    then saves all of it: when the import sets the image ``active`` in
    between, the PATCH writes the old status back, the import's last step
    finds the image not active ("None of the uploads finished!") and the
    image stays ``queued``, so the stack create times out (seen 1 time in
    25 on a busy machine). That race belongs to Heat's WebImage and Glance,
    not to what the benchmark compares (the requests of updates). The
    other race of that PATCH, with the import task's first save (the PATCH
    is lost), remains: the benchmark records it and puts it right, tests
    set the keys they rely on themselves.

    So that each create of the comparison succeeds the first time, the
    data server's handler (which takes ``len()`` of the data before it
    answers) waits until Glance has served the PATCH, seen as the image's
    next request after it, or ``PATCH_GATE_S``. Only Heat's WebImage needs
    this: the plugin sends its properties before the import starts.
    """

    def __new__(cls, data, counter):
        self = super().__new__(cls, data)
        self.counter = counter
        self.timed_out = False
        return self

    def _patch_done(self):
        seen = self.counter.since()
        for i, (method, path) in enumerate(seen):
            if method == 'PATCH' and any(p == path for _m, p in seen[i + 1:]):
                return True
        return False

    def __len__(self):
        deadline = time.monotonic() + PATCH_GATE_S
        while not self._patch_done():
            if time.monotonic() > deadline:
                self.timed_out = True
                break
            time.sleep(0.02)
        return super().__len__()


class DataServer(object):
    """A local HTTP server that serves image data to Glance's importer.

    ``add(name, data)`` publishes bytes at ``url(name)``; a mode of
    ``'missing'`` answers 404, ``'truncate'`` closes the connection
    half-way through the body, ``'redirect'`` answers 302 to the URL
    ``to`` and ``'held'`` sends the data only once :meth:`release` is
    called (Glance's web-download import waits until then).
    """

    def __init__(self):
        self._httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      _DataHandler)
        self._httpd.daemon_threads = True
        self._httpd.blobs = {}
        self._httpd.modes = {}
        self._httpd.redirects = {}
        self._httpd.hits = []
        self._httpd.gates = {}
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        name='harness-data', daemon=True)
        self._thread.start()

    def add(self, name, data=None, size=None, mode=None, to=None):
        if data is None:
            data = os.urandom(size if size is not None else 4096)
        self._httpd.blobs[name] = data
        if mode is not None:
            self._httpd.modes[name] = mode
        else:
            self._httpd.modes.pop(name, None)
        if to is not None:
            self._httpd.redirects[name] = to
        if mode == 'held':
            self._httpd.gates[name] = threading.Event()
        return self.url(name)

    def release(self, name):
        """Send the data of ``name`` (added with ``mode='held'``)."""
        self._httpd.gates[name].set()

    def url(self, name):
        return 'http://127.0.0.1:%d/%s' % (self.port, name)

    def hits(self, name):
        return self._httpd.hits.count(name)

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()


class GlanceServer(object):
    """One glance-api process under gunicorn, with its own state dir."""

    def __init__(self, data_server, quota=128, workdir=None, shape='plain',
                 stores=STORES):
        """A Glance; not started yet.

        :param stores: the ids of its file stores (``enabled_backends``),
            the first one the default; an empty list gives a Glance
            without multiple stores (``[glance_store] stores = file``).
        """
        self.data_server = data_server
        self.quota = quota
        self.shape = shape
        self.stores = tuple(stores)
        self._own_dir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix='glance-harness-')
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.log_file = os.path.join(self.workdir, 'glance-api.log')
        self.server_log = os.path.join(self.workdir, 'gunicorn.log')
        self._proc = None
        self._write_config()
        self._db_sync()

    def _path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def _write_config(self):
        for sub in ('images', 'staging', 'tasks') + self.stores:
            os.makedirs(self._path(sub), exist_ok=True)
        if self.stores:
            backends = 'enabled_backends = %s' % ', '.join(
                '%s:file' % store for store in self.stores)
            stores = '[glance_store]\ndefault_backend = %s\n' % (
                self.stores[0])
            for store in self.stores:
                stores += '\n[%s]\nfilesystem_store_datadir = %s\n' % (
                    store, self._path(store))
        else:
            backends = ''
            stores = ('[glance_store]\nstores = file\ndefault_store = '
                      'file\nfilesystem_store_datadir = %s\n' % (
                          self._path('images')))
        with open(self._path('glance-api-paste.ini'), 'w') as f:
            f.write(_PASTE)
        with open(self._path('property-protections.conf'), 'w') as f:
            f.write(_PROTECTIONS % {'prefix': PROTECTED_PREFIX})
        values = {
            'url': self.url, 'quota': self.quota,
            'protections': self._path('property-protections.conf'),
            'log': self.log_file, 'db': self._path('glance.sqlite'),
            'backends': backends, 'stores': stores,
            'staging': self._path('staging'),
            'tasks': self._path('tasks'),
            'data_port': self.data_server.port,
            'paste': self._path('glance-api-paste.ini'),
        }
        with open(self._path('glance-api.conf'), 'w') as f:
            f.write(_CONF % values)
        if SHAPES[self.shape]:
            with open(self._path('glance-image-import.conf'), 'w') as f:
                f.write(SHAPES[self.shape])

    def _env(self):
        env = dict(os.environ)
        env['OS_GLANCE_CONFIG_DIR'] = self.workdir
        return env

    def _db_sync(self):
        manage = os.path.join(os.path.dirname(server_python()),
                              'glance-manage')
        subprocess.run(
            [manage, '--config-file', self._path('glance-api.conf'),
             'db_sync'],
            check=True, env=self._env(), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, cwd=self.workdir)

    def start(self, timeout=60):
        if self.running:
            return
        cmd = [server_python(), '-m', 'gunicorn',
               '--bind', '127.0.0.1:%d' % self.port,
               '--workers', '1', '--worker-class', 'gthread',
               '--threads', '8', '--timeout', '300',
               '--graceful-timeout', '5',
               # No keep-alive: gunicorn closes an idle connection after
               # 2 s, and a client that sends its next request on it at
               # that moment gets "Connection reset by peer" (seen under
               # CPU load). Each response closes its connection instead.
               '--keep-alive', '0',
               '--pythonpath', REPO_ROOT,
               '--error-logfile', self.server_log,
               '--log-level', 'warning',
               'tests.harness.glance_app:application']
        self._proc = subprocess.Popen(
            cmd, env=self._env(), cwd=self.workdir,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError('glance-api exited with %s; see %s' % (
                    self._proc.returncode, self.server_log))
            try:
                with urllib.request.urlopen(self.url + '/versions',
                                            timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError('glance-api did not answer within %ss' % timeout)

    def break_store(self, store):
        """Make a store fail every write: its directory becomes a file.

        A real fault: Glance's file store then fails with ENOTDIR.
        """
        path = self._path(store)
        shutil.rmtree(path)
        with open(path, 'w') as f:
            f.write('not a directory\n')

    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    def stop(self):
        """Stop the process (the state on disk is kept for a restart)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def destroy(self):
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _harness_get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as resp:
            return json.loads(resp.read())

    def requests(self):
        """Every request Glance has served, as ``[method, path]`` pairs."""
        return self._harness_get('/__harness__/requests')

    def image_events(self):
        """Image creates and deletes, as ``[kind, path, status]``.

        ``kind`` is ``'create'`` or ``'delete'``. The list starts empty
        again when the process is restarted.
        """
        return self._harness_get('/__harness__/images')


class RequestCounter(object):
    """Counts the requests Glance serves between two points of a test."""

    def __init__(self, glance):
        self.glance = glance
        self._start = len(glance.requests())

    def since(self):
        return self.glance.requests()[self._start:]

    def count(self, method=None):
        return len([r for r in self.since()
                    if method is None or r[0] == method])


_SHARED = {}


def shared(shape='plain'):
    """The (data server, Glance) pair of this process, started once.

    Each shape (see ``SHAPES``) has its own Glance, started on first use;
    the data server is shared.
    """
    if 'data' not in _SHARED:
        _SHARED['data'] = DataServer()
        atexit.register(_stop_shared)
    data = _SHARED['data']
    if shape not in _SHARED:
        glance = GlanceServer(data, shape=shape)
        try:
            glance.start()
        except Exception:
            glance.destroy()
            raise
        _SHARED[shape] = glance
    return data, _SHARED[shape]


def _stop_shared():
    data = _SHARED.pop('data', None)
    for glance in list(_SHARED.values()):
        glance.destroy()
    _SHARED.clear()
    if data is not None:
        data.stop()
