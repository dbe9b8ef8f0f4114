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

"""heat-engine plugin module: the opt-in engine thread group remedy.

heat-engine loads it with the other modules of this directory (its
``plugin_dirs`` option), in the parent process before it starts its
workers. It maps no resource type; loading it applies
:mod:`heat_glance_props.enginethreads` when
``[glance_properties] prune_finished_engine_threads`` is true.
"""

from heat_glance_props import enginethreads


def resource_mapping():
    enginethreads.apply()
    return {}
