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

"""heat-engine plugin module: maps OS::Glance::Image to this library.

heat-engine imports every module of the directories in its
``plugin_dirs`` option and registers what ``resource_mapping()``
returns. ``heat-glance-props plugin-dir`` prints this directory.

Loading it also makes this plugin the substitute of Heat's
``OS::Glance::WebImage``, so that a stack can change a resource's type from
``OS::Glance::WebImage`` to ``OS::Glance::Image`` and keep its image.
"""

from heat_glance_props.resources import image


def resource_mapping():
    image.substitute_web_image()
    return {
        'OS::Glance::Image': image.GlanceImage,
    }
