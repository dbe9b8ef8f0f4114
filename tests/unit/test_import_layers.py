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

"""The package's imports: no circle, each module in its layer.

tools/check-imports.py reads the sources; these tests run it on the
package itself, and on small packages written for the test that break
each rule once.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import fixtures
import testtools

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, 'tools', 'check-imports.py')

_spec = importlib.util.spec_from_file_location('check_imports', TOOL)
check_imports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_imports)


class PackageTest(testtools.TestCase):

    def test_heat_glance_props_has_no_circle_and_keeps_its_layers(self):
        proc = subprocess.run(
            [sys.executable, TOOL, os.path.join(ROOT, 'heat_glance_props')],
            capture_output=True, text=True)
        self.assertEqual(0, proc.returncode, proc.stdout + proc.stderr)
        self.assertIn('0 problem(s): no import circle, layers kept',
                      proc.stdout)

    def test_plain_modules_and_their_layers(self):
        layer = check_imports.layer_of
        self.assertEqual('base', layer('heat_glance_props'))
        self.assertEqual('base', layer('heat_glance_props.paths'))
        self.assertEqual('base', layer('heat_glance_props.heat_plugins'))
        self.assertEqual('heat adapter',
                         layer('heat_glance_props.heat_plugins.glance_image'))
        self.assertEqual('heat adapter',
                         layer('heat_glance_props.resources.image'))
        self.assertEqual('plain', layer('heat_glance_props.glance.calls'))
        self.assertEqual('plain', layer('heat_glance_props.catalog'))
        self.assertEqual('offline', layer('heat_glance_props.offline'))
        self.assertEqual('offline', layer('heat_glance_props.unset'))
        self.assertEqual('commands', layer('heat_glance_props.cmd.cli'))


class RulesTest(testtools.TestCase):
    """Each rule, broken once in a package of the test's own."""

    def package(self, files):
        root = self.useFixture(fixtures.TempDir()).path
        pkg = os.path.join(root, 'pkg')
        files = dict(files)
        for name in list(files):
            parts = name.split('/')[:-1]
            for i in range(len(parts) + 1):
                files.setdefault('/'.join(parts[:i] + ['__init__.py']), '')
        for name, text in files.items():
            path = os.path.join(pkg, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as f:
                f.write(textwrap.dedent(text))
        return pkg

    def problems(self, files):
        return check_imports.check(self.package(files))[0]

    def test_clean_package(self):
        self.assertEqual([], self.problems({
            'a.py': 'from pkg import b\n',
            'b.py': 'import os\n',
            'resources/r.py': 'from heat.engine import resource\n'
                              'from pkg import a\n',
            'cmd/cli.py': 'from pkg import offline\n',
            'offline.py': 'def f():\n    from pkg.resources import r\n',
        }))

    def test_circle_through_a_function_level_import(self):
        problems = self.problems({
            'offline.py': 'def f():\n    from pkg.cmd import cli\n',
            'cmd/cli.py': 'from pkg import offline\n',
        })
        self.assertIn('import circle: pkg.cmd.cli <-> pkg.offline',
                      problems)

    def test_longer_circle_and_relative_imports(self):
        problems = self.problems({
            'a.py': 'from . import b\n',
            'b.py': 'from .sub import c\n',
            'sub/c.py': 'from .. import a\n',
        })
        self.assertEqual(['import circle: pkg.a <-> pkg.b <-> pkg.sub.c'],
                         problems)

    def test_heat_import_in_a_plain_module(self):
        problems = self.problems({
            'plain.py': 'def f():\n    from heat.common import exception\n',
            'resources/image.py': 'import heat\n',
            'heatclient_user.py': 'import heatclient\n',
        })
        self.assertEqual(1, len(problems), problems)
        self.assertIn('pkg.plain (plain) imports Heat (heat.common)',
                      problems[0])

    def test_lower_layer_imports_a_higher_one(self):
        problems = self.problems({
            'catalog.py': 'from pkg.resources import image\n',
            'resources/image.py': '',
        })
        self.assertEqual(1, len(problems), problems)
        self.assertIn('pkg.catalog (plain) imports pkg.resources.image of '
                      'the higher layer heat adapter', problems[0])

    def test_importing_a_module_runs_its_parent_packages(self):
        # pkg.glance's __init__ runs when pkg.glance.calls is imported:
        # a circle through it counts.
        problems = self.problems({
            'glance/__init__.py': 'from pkg import other\n',
            'glance/calls.py': '',
            'other.py': 'def f():\n    from pkg.glance import calls\n',
        })
        self.assertEqual(['import circle: pkg.glance <-> pkg.other'],
                         problems)
