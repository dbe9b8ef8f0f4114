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

"""The Glance WSGI application, wrapped to count the requests it serves.

Loaded by the harness's WSGI server (gunicorn, one worker process). Each
request is recorded before Glance handles it, so a client that has its
response can read the count straight away from
``GET /__harness__/requests`` (that request itself is not counted).

Image creates (``POST /v2/images``) and deletes (``DELETE
/v2/images/<id>``) are also recorded with the status Glance answered, at
``GET /__harness__/images``: the tests' replacement guard counts the ones
Glance carried out.
"""

import json
import re
import threading

from tests.harness import sqlite_locking

# Before Glance makes its database engine: concurrent writers wait
# for each other instead of failing (see the module).
sqlite_locking.install()

try:
    from glance.wsgi import api as glance_api
    _GLANCE = glance_api.application
except ImportError:
    # Older Glance (28.x, of 2024.1) has no glance.wsgi package: its
    # WSGI entry point builds the application.
    from glance.common import wsgi_app
    _GLANCE = wsgi_app.init_app()

_LOCK = threading.Lock()
_REQUESTS = []
_IMAGE_EVENTS = []
COUNTER_PATH = '/__harness__/requests'
IMAGES_PATH = '/__harness__/images'
_IMAGE = re.compile(r'^/v2/images/[^/]+$')


def _json(start_response, data):
    with _LOCK:
        body = json.dumps(data).encode('utf-8')
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(body)))])
    return [body]


def _image_event(method, path):
    if method == 'POST' and path == '/v2/images':
        return 'create'
    if method == 'DELETE' and _IMAGE.match(path):
        return 'delete'
    return None


def application(environ, start_response):
    path = environ.get('PATH_INFO', '')
    if path == COUNTER_PATH:
        return _json(start_response, _REQUESTS)
    if path == IMAGES_PATH:
        return _json(start_response, _IMAGE_EVENTS)
    method = environ.get('REQUEST_METHOD')
    with _LOCK:
        _REQUESTS.append([method, path])
    event = _image_event(method, path)
    if event is None:
        return _GLANCE(environ, start_response)

    def record(status, headers, exc_info=None):
        with _LOCK:
            _IMAGE_EVENTS.append([event, path, int(status.split()[0])])
        return start_response(status, headers, exc_info)

    return _GLANCE(environ, record)
