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

"""Sphinx configuration of the release notes (releasenotes/notes).

Built with "tox -e releasenotes" or tools/docs.sh releasenotes.
"""

extensions = [
    'openstackdocstheme',
    'reno.sphinxext',
]

project = 'heat-glance-props Release Notes'
copyright = 'heat-glance-props developers'
master_doc = 'index'
exclude_patterns = ['_build']

# The OpenStack docs theme, as OpenStack projects configure it for their
# release notes (the title stays "... Release Notes", not the package
# name; release notes are not versioned).
html_theme = 'openstackdocs'
openstackdocs_repo_name = 'openstack/heat-glance-props'
openstackdocs_bug_project = 'heat-glance-props'
openstackdocs_bug_tag = ''
openstackdocs_auto_name = False
pygments_style = 'native'
