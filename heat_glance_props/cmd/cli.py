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

"""The heat-glance-props command."""

import argparse
import os
import sys

from heat_glance_props._i18n import _
from heat_glance_props import heat_plugins


def plugin_dir():
    """The directory to list in heat-engine's ``plugin_dirs`` option."""
    return os.path.dirname(os.path.abspath(heat_plugins.__file__))


def _plugin_dir(args):
    print(plugin_dir())
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog='heat-glance-props',
        description=_('Tools for the heat-glance-props Heat plugin, which '
                      'provides OS::Glance::Image with in-place image '
                      'properties.'))
    commands = parser.add_subparsers(dest='command', metavar='COMMAND')
    commands.required = True

    cmd = commands.add_parser(
        'plugin-dir',
        help=_('print the directory to add to plugin_dirs in heat.conf'),
        description=_('Print the absolute path of the directory that '
                      'heat-engine must load (the plugin_dirs option in '
                      'the [DEFAULT] section of heat.conf).'))
    cmd.set_defaults(func=_plugin_dir)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
