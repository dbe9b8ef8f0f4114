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

"""The plugin loads the way heat-engine loads it: through plugin_dirs."""

import json
import os
import subprocess
import sys
import textwrap

import testtools

#: Run in a fresh interpreter: heat-engine's loader with the plugin_dirs
#: given as arguments, then what it resolved OS::Glance::Image to.
_LOADER = textwrap.dedent("""
    import json
    import sys
    import heat.tests.common  # noqa: threading backend
    from oslo_config import cfg
    from heat.engine import resources
    prefix = sys.prefix
    cfg.CONF([], project='heat', default_config_files=[])
    cfg.CONF.set_default('environment_dir',
                         prefix + '/etc/heat/environment.d')
    cfg.CONF.set_default('template_dir', prefix + '/etc/heat/templates')
    cfg.CONF.set_override('plugin_dirs', sys.argv[1:])
    resources.initialise()
    cls = resources.global_env().get_class('OS::Glance::Image')
    print(json.dumps({
        'class': cls.__module__ + '.' + cls.__name__,
        'has_properties': 'properties' in cls.properties_schema,
        'status': cls.support_status.status,
        'plugin_module_as_itself':
            'heat_glance_props.heat_plugins.glance_image' in sys.modules,
    }))
""")


def _load(*plugin_dirs):
    proc = subprocess.run([sys.executable, '-c', _LOADER] + list(plugin_dirs),
                          capture_output=True, text=True)
    return proc


class PluginDirsTest(testtools.TestCase):

    def test_plugin_dir_command_and_heat_loader(self):
        script = os.path.join(os.path.dirname(sys.executable),
                              'heat-glance-props')
        out = subprocess.run([script, 'plugin-dir'], check=True,
                             capture_output=True, text=True).stdout
        plugin_dir = out.strip()
        self.assertTrue(os.path.isabs(plugin_dir))
        self.assertTrue(os.path.isdir(plugin_dir))

        proc = _load(plugin_dir)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual({
            'class': 'heat_glance_props.resources.image.GlanceImage',
            'has_properties': True,
            'status': 'SUPPORTED',
            # Loaded as heat.engine.plugins.glance_image, as Heat does.
            'plugin_module_as_itself': False,
        }, json.loads(proc.stdout))
        self.assertIn('Changing OS::Glance::Image from', proc.stderr)

    def test_without_plugin_dir_heat_keeps_its_placeholder(self):
        proc = _load()
        self.assertEqual(0, proc.returncode, proc.stderr)
        found = json.loads(proc.stdout)
        self.assertEqual(
            'heat.engine.resources.openstack.glance.image.GlanceImage',
            found['class'])
        self.assertEqual('HIDDEN', found['status'])
        self.assertFalse(found['has_properties'])
