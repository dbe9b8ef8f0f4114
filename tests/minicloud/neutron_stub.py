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

"""A stand-in for Neutron: a network API that has no ports.

The mini-cloud's servers are booted with ``"networks": "none"``
(compute API 2.37+), so Nova creates them without Neutron. Nova still
asks Neutron for the server's ports when it shows, lists or deletes a
server (``GET /v2.0/ports?device_id=...``), and Heat's server resource
asks for ports and networks. This stub answers every collection ``GET``
of the networking API with an empty list, and its version document, and
nothing else (any other request gets a 404): it is a stub, not a
network service, and it checks no token. It runs in the process that
runs the cloud, in a thread, and counts the requests it served.
"""

import http.server
import json
import threading
import urllib.parse

from tests.minicloud import common


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = 'neutron-stub/1'
    # Clients reuse connections; HTTP/1.1 with a length on every answer.
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        pass

    def _answer(self, status, body):
        data = json.dumps(body).encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path.rstrip('/')
        self.server.requests.append(('GET', path))
        if path in ('', '/v2.0'):
            return self._answer(200, {'versions': [{
                'id': 'v2.0', 'status': 'CURRENT',
                'links': [{'rel': 'self',
                           'href': self.server.url + '/v2.0/'}]}]})
        parts = path.split('/')
        # GET /v2.0/<collection>[.json]: an empty collection.
        if len(parts) == 3 and parts[1] == 'v2.0' and parts[2]:
            collection = parts[2].split('.')[0]
            return self._answer(200, {collection: []})
        return self._answer(404, {'NeutronError': {
            'type': 'HTTPNotFound', 'message': 'not in the stub',
            'detail': ''}})

    def _refuse(self):
        self.server.requests.append((self.command, self.path))
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        self._answer(404, {'NeutronError': {
            'type': 'HTTPNotFound', 'message': 'not in the stub',
            'detail': ''}})

    do_POST = do_PUT = do_DELETE = _refuse


class NeutronStub(common.Service):
    """The ``network`` endpoint of the mini-cloud (a stub, see above)."""

    name = 'neutron-stub'

    def __init__(self, procs):
        super(NeutronStub, self).__init__(procs, None, None)
        self._httpd = None
        self.url = None

    @property
    def requests(self):
        """``(method, path)`` of every request served so far."""
        return list(self._httpd.requests) if self._httpd else []

    def prepare(self):
        self._httpd = http.server.ThreadingHTTPServer((common.HOST, 0),
                                                      _Handler)
        self._httpd.daemon_threads = True
        self._httpd.requests = []
        self.url = 'http://%s:%d' % (common.HOST,
                                     self._httpd.server_address[1])
        self._httpd.url = self.url
        threading.Thread(target=self._httpd.serve_forever,
                         name='neutron-stub', daemon=True).start()

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def endpoints(self):
        return (('neutron', 'network', self.url),)
