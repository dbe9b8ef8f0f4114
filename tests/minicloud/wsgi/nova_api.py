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

"""nova-api's WSGI application (the compute API), for gunicorn.

The application parses the process's command line with oslo.config, which
would take gunicorn's own arguments for its own: hide them first.

This directory is not a package of the tests: gunicorn finds this module
through ``PYTHONPATH``, so that nothing of the test package (which picks
oslo.service's backend and so imports eventlet) is imported before Nova,
which refuses to start in native-threading mode once eventlet is
imported.
"""

import sys

sys.argv[1:] = []

from nova.wsgi import osapi_compute as service_api  # noqa: E402

application = service_api.application
