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

"""A stand-in for Glance's image API: a real HTTP server on 127.0.0.1.

For the unit tests of :mod:`heat_glance_props.glance.calls`, which talk
to it through a real glanceclient v2 client (keystoneauth session, as
Heat's). It is NOT Glance: it keeps image documents in a dict and answers
the few requests the plugin sends the way glance 33 does (JSON patch
``add``/``replace``/``remove``, 409 "Property X does not exist." for the
removal of a missing key, 204 for actions). The functional tier runs the
same code against a real glance-api; this one lets a unit test count the
requests and script a refusal (``fail``).
"""

import html
import http.server
import json
import re
import threading
import uuid

from glanceclient import client as glance_client
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint

#: A schema that accepts any image document (glanceclient reads it once).
SCHEMA = {'name': 'image', 'properties': {}, 'additionalProperties': True}

_IMAGE = re.compile(r'^/v2/images/([^/]+)(/.*)?$')
_STORE = re.compile(r'^/v2/stores/([^/]+)/([^/]+)$')


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'

    def log_message(self, *args):
        pass

    def _serve(self):
        glance = self.server.glance
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        body = json.loads(raw) if raw else None
        glance.requests.append((self.command, self.path, body))
        status, answer = glance.answer(self.command, self.path, body)
        self.send_response(status)
        if status >= 400:
            # As Glance's (webob's) error pages, HTML-escaped.
            title = '%d %s' % (status, self.responses[status][0])
            page = ('<html>\n <head>\n  <title>%s</title>\n </head>\n'
                    ' <body>\n  <h1>%s</h1>\n  %s<br /><br />\n\n\n\n'
                    ' </body>\n</html>')
            data = (page % (title, title, html.escape(answer))).encode()
            self.send_header('Content-Type', 'text/html; charset=UTF-8')
        elif isinstance(answer, bytes):
            data = answer
            self.send_header('Content-Type', 'application/octet-stream')
        elif answer is not None:
            data = json.dumps(answer).encode()
            self.send_header('Content-Type', 'application/json')
        else:
            data = b''
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _serve


class FakeGlance(object):
    """Images in a dict, requests in a list, refusals on demand."""

    def __init__(self):
        self.images = {}
        self.tasks = {}
        self.data = {}
        self.stores = None
        self.requests = []
        self._failures = []
        self._httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      _Handler)
        self._httpd.daemon_threads = True
        self._httpd.glance = self
        self.url = 'http://127.0.0.1:%d' % self._httpd.server_address[1]
        # A short poll: stop() returns quickly.
        threading.Thread(target=self._httpd.serve_forever, args=(0.02,),
                         daemon=True).start()

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()

    def client(self):
        """A glanceclient v2 client on a keystoneauth session, as Heat's."""
        session = ks_session.Session(
            auth=token_endpoint.Token(self.url, 'token'))
        return glance_client.Client('2', session=session)

    def add(self, **doc):
        doc.setdefault('id', str(uuid.uuid4()))
        doc.setdefault('status', 'active')
        self.images[doc['id']] = doc
        return doc['id']

    def fail(self, method, path, status, message=''):
        """Answer the next ``method`` request of ``path`` with an error."""
        self._failures.append((method, path, status, message))

    def sent(self, method=None, api=True):
        """The requests sent, without glanceclient's schema reads."""
        return [(m, p, b) for m, p, b in self.requests
                if method in (None, m) and
                not (api and p.startswith('/v2/schemas/'))]

    def answer(self, method, path, body):
        for failure in self._failures:
            if failure[:2] == (method, path):
                self._failures.remove(failure)
                return failure[2], failure[3]
        if path.startswith('/v2/schemas/'):
            return 200, SCHEMA
        if path == '/v2/images' and method == 'POST':
            return 201, self.images[self.add(**dict(body, status='queued'))]
        if path == '/v2/info/stores':
            return (404, 'Multi backend is not supported at this site.') if (
                self.stores is None) else (
                200, {'stores': [{'id': s} for s in self.stores]})
        match = _STORE.match(path)
        if match and method == 'DELETE':
            store, image_id = match.groups()
            doc = self.images[image_id]
            doc['stores'] = ','.join(s for s in doc['stores'].split(',')
                                     if s != store)
            return 204, None
        match = _IMAGE.match(path)
        if not match or match.group(1) not in self.images:
            return 404, 'Not found'
        return self._image(method, match.group(1), match.group(2) or '',
                           body)

    def _image(self, method, image_id, sub, body):
        doc = self.images[image_id]
        if (method, sub) == ('GET', ''):
            return 200, doc
        if (method, sub) == ('DELETE', ''):
            if doc.get('protected'):
                return 403, 'Image %s is protected' % image_id
            del self.images[image_id]
            return 204, None
        if (method, sub) == ('PATCH', ''):
            new = dict(doc)
            for op in body:
                key = op['path'][1:].replace('~1', '/').replace('~0', '~')
                if op['op'] == 'remove':
                    if key not in new:
                        return 409, 'Property %s does not exist.' % key
                    del new[key]
                else:
                    new[key] = op['value']
            self.images[image_id] = new
            return 200, new
        if (method, sub) == ('GET', '/tasks'):
            return 200, {'tasks': self.tasks.get(image_id, [])}
        if (method, sub) == ('GET', '/file'):
            return 200, self.data[image_id]
        if (method, sub) == ('POST', '/import'):
            return 202, None
        if method == 'POST' and sub.startswith('/actions/'):
            doc['status'] = {'deactivate': 'deactivated',
                             'reactivate': 'active'}[sub[9:]]
            return 204, None
        if (method, sub) == ('POST', '/members'):
            return 200, {'member_id': body['member'], 'image_id': image_id}
        if method == 'DELETE' and sub.startswith('/members/'):
            return 204, None
        return 404, 'Not found'
