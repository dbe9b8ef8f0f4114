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
"""

import json
import threading

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
COUNTER_PATH = '/__harness__/requests'


def application(environ, start_response):
    path = environ.get('PATH_INFO', '')
    if path == COUNTER_PATH:
        with _LOCK:
            body = json.dumps(_REQUESTS).encode('utf-8')
        start_response('200 OK', [('Content-Type', 'application/json'),
                                  ('Content-Length', str(len(body)))])
        return [body]
    with _LOCK:
        _REQUESTS.append([environ.get('REQUEST_METHOD'), path])
    return _GLANCE(environ, start_response)
