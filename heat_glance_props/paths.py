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

"""Where the installed package keeps what heat-engine loads.

Below everything that needs it (the command line, the offline checks, the
test harness); imports no other module of the package but the empty
``heat_plugins`` package, and nothing of Heat.
"""

import os

from heat_glance_props import heat_plugins


def plugin_dir():
    """The directory to list in heat-engine's ``plugin_dirs`` option."""
    return os.path.dirname(os.path.abspath(heat_plugins.__file__))
