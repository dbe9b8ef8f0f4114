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

"""A real HTTP server on 127.0.0.1 that serves images, with range requests.

``add(name, data, mode)`` publishes bytes at ``url(name)``. Modes:
``None`` answers ``Range`` with 206; ``'no-range'`` ignores it (200 and
the whole body); ``'redirect'`` answers 302 to the same data under
another name, or to the URL ``to`` when given; ``'missing'`` answers 404;
``'slow'`` waits before the first byte. The server records every request
(and its headers: ``headers()``, ``hosts()``) and the body bytes it sent.
It listens on ``host`` (127.0.0.1 by default; any 127.0.0.0/8 address
works on Linux), with TLS when given a server ``ssl_context``.
"""

import http.server
import re
import threading
import time

_RANGE = re.compile(r'bytes=(\d+)-(\d*)$')


class _Handler(http.server.BaseHTTPRequestHandler):

    def log_message(self, *args):
        pass

    def do_GET(self):
        srv = self.server
        name = self.path.lstrip('/')
        srv.requests.append((name, self.headers.get('Range')))
        srv.headers.append(dict(self.headers))
        mode = srv.modes.get(name)
        if mode == 'missing' or name not in srv.blobs:
            self.send_error(404)
            return
        if mode == 'redirect':
            self.send_response(302)
            self.send_header('Location', srv.redirects[name])
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        if mode == 'slow':
            time.sleep(srv.delay)
        data = srv.blobs[name]
        match = _RANGE.match(self.headers.get('Range') or '')
        if match and mode != 'no-range':
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else len(data) - 1
            if start >= len(data):
                self.send_response(416)
                self.send_header('Content-Range', 'bytes */%d' % len(data))
                self.send_header('Content-Length', '0')
                self.end_headers()
                return
            end = min(end, len(data) - 1)
            body = data[start:end + 1]
            self.send_response(206)
            self.send_header('Content-Range', 'bytes %d-%d/%d' % (
                start, end, len(data)))
        else:
            body = data
            self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        try:
            for i in range(0, len(body), 65536):
                self.wfile.write(body[i:i + 65536])
                srv.sent[name] = srv.sent.get(name, 0) + len(
                    body[i:i + 65536])
        except (BrokenPipeError, ConnectionResetError):
            pass


class ImageServer(object):

    def __init__(self, host='127.0.0.1', ssl_context=None):
        self.host = host
        self.scheme = 'https' if ssl_context else 'http'
        self._httpd = http.server.ThreadingHTTPServer((host, 0), _Handler)
        if ssl_context:
            self._httpd.socket = ssl_context.wrap_socket(self._httpd.socket,
                                                         server_side=True)
        self._httpd.daemon_threads = True
        self._httpd.blobs = {}
        self._httpd.modes = {}
        self._httpd.redirects = {}
        self._httpd.requests = []
        self._httpd.headers = []
        self._httpd.sent = {}
        self._httpd.delay = 0
        self.port = self._httpd.server_address[1]
        # A short poll interval: stop() waits for it.
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={'poll_interval': 0.05},
                                        daemon=True)
        self._thread.start()

    def add(self, name, data, mode=None, delay=2.0, to=None):
        self._httpd.blobs[name] = data
        if mode == 'redirect' and to:
            self._httpd.redirects[name] = to
        elif mode == 'redirect':
            target = 'moved-' + name
            self._httpd.blobs[target] = data
            self._httpd.redirects[name] = '/' + target
        if mode is not None:
            self._httpd.modes[name] = mode
        self._httpd.delay = delay
        return self.url(name)

    def url(self, name):
        return '%s://%s:%d/%s' % (self.scheme, self.host, self.port, name)

    def requests(self, name=None):
        return [r for r in self._httpd.requests if name in (None, r[0])]

    def headers(self):
        """The headers of every request, in order."""
        return list(self._httpd.headers)

    def hosts(self):
        """The Host header of every request, in order."""
        return [h.get('Host') for h in self._httpd.headers]

    def sent(self, name):
        return self._httpd.sent.get(name, 0)

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()
