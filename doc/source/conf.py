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

"""Sphinx configuration of the heat-glance-props documentation.

Built with "tox -e docs" or tools/docs.sh docs (warnings are errors).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '_exts'))

extensions = [
    # The OpenStack docs theme (html_theme below).
    'openstackdocstheme',
    # The resource reference, generated from the plugin's schema.
    'heat_resource_reference',
    # The [glance_properties] options and their sample file.
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    # The release notes (releasenotes/notes), read by reno.
    'reno.sphinxext',
    'benchmark_plots',  # SVG plots of the committed benchmark JSON
]

config_generator_config_file = os.path.join(
    '..', '..', 'etc', 'oslo-config-generator', 'heat-glance-props.conf')
# Written at build time to
# doc/source/configuration/heat-glance-props.conf.sample (not in git).
sample_config_basename = 'configuration/heat-glance-props'

project = 'heat-glance-props'
copyright = 'heat-glance-props developers'
master_doc = 'index'
exclude_patterns = ['_build', '_exts']

# The theme of docs.openstack.org, configured as OpenStack projects do:
# the repository and the bug tracker its "Report a bug" and source links
# name. The theme reads the project's name and version from setup.cfg and
# pbr, and the commit from git; nothing is fetched from the network.
html_theme = 'openstackdocs'
openstackdocs_repo_name = 'openstack/heat-glance-props'
openstackdocs_bug_project = 'heat-glance-props'
openstackdocs_bug_tag = 'doc'
pygments_style = 'native'
