#!/usr/bin/env python3
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

"""Check the imports inside a package: no circle, layers kept.

Reads the source (``ast``; nothing is imported) of every module of the
package, with every import it makes, at the top or inside a function,
and the parent packages each import runs. It reports:

* an import circle: modules that import each other, directly or round
  a longer loop;
* a module that imports one of a higher layer (see ``LAYERS``, also in
  doc/source/contributor/layout.rst);
* a Heat import (``heat`` or ``heat.*``) in a module of a layer that may
  not have one: the plain modules are used without Heat (the offline
  commands, the unit tests).

Usage: tools/check-imports.py [--verbose] [PACKAGE_DIR]   (default:
heat_glance_props). Prints one line per problem and exits 1 if there is
one; --verbose also prints every module with its layer and imports. The
unit tier runs it (tests/unit/test_import_layers.py).
"""

import argparse
import ast
import collections
import os
import sys

#: Layers, lowest first: a module may import modules of its own layer and
#: of lower ones. The first matching pattern gives a module its layer
#: (``name`` matches the module and everything under it; a pattern ending
#: in ``=`` only the module itself); any other module is ``plain``.
LAYERS = (
    ('base', ('=', '_i18n', 'paths', 'heat_plugins=')),
    ('plain', ()),
    ('heat adapter', ('resources', 'heat_plugins', 'enginethreads')),
    ('offline', ('offline', 'unset')),
    ('commands', ('cmd',)),
)

#: The layers whose modules may import Heat.
HEAT_LAYERS = ('heat adapter', 'offline')

DEFAULT_LAYER = 'plain'

#: One import: ``implicit`` for a parent package that the import runs.
Import = collections.namedtuple('Import', ['target', 'line', 'implicit'])


def module_files(package_dir):
    """``{module name: path}`` of every module of the package."""
    package_dir = os.path.abspath(package_dir)
    root = os.path.basename(package_dir)
    result = {}
    for dirpath, dirnames, filenames in os.walk(package_dir):
        dirnames[:] = sorted(d for d in dirnames
                             if os.path.exists(os.path.join(dirpath, d,
                                                            '__init__.py')))
        rel = os.path.relpath(dirpath, package_dir)
        parts = [root] + ([] if rel == '.' else rel.split(os.sep))
        for name in sorted(filenames):
            if not name.endswith('.py'):
                continue
            stem = name[:-3]
            module = '.'.join(parts if stem == '__init__' else parts + [stem])
            result[module] = os.path.join(dirpath, name)
    return result


def _parents(module):
    parts = module.split('.')
    return ['.'.join(parts[:i]) for i in range(1, len(parts))]


def imports(module, path, modules):
    """The imports a module makes: package modules, and other names.

    :returns: ``(inside, outside)``: lists of :class:`Import` of modules
        of the package (with the parent packages each import runs), and
        of top-level names of other packages.
    """
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    is_package = os.path.basename(path) == '__init__.py'
    inside, outside = [], []

    def add(target, line):
        if target.split('.')[0] not in modules_roots:
            outside.append(Import(target, line, False))
            return
        for name in _parents(target) + [target]:
            if name in modules and name != module:
                inside.append(Import(name, line, name != target))

    modules_roots = set(m.split('.')[0] for m in modules)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                here = module.split('.')
                if not is_package:
                    here = here[:-1]
                here = here[:len(here) - node.level + 1]
                base = '.'.join(here + ([base] if base else []))
            for alias in node.names:
                full = '%s.%s' % (base, alias.name)
                add(full if full in modules else base, node.lineno)
    return inside, outside


def layer_of(module):
    rel = module.split('.', 1)[1] if '.' in module else ''
    for layer, patterns in LAYERS:
        for pattern in patterns:
            if pattern.endswith('='):
                if rel == pattern[:-1]:
                    return layer
            elif rel == pattern or rel.startswith(pattern + '.'):
                return layer
    return DEFAULT_LAYER


def circles(graph):
    """The import circles of an import graph, each a sorted list.

    A circle is a strongly connected component (Tarjan) of two or more
    modules, or a module that imports itself.
    """
    index, low, on_stack, stack, result = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(result)


def check(package_dir):
    """``(problems, report)``: problem lines, and the module map."""
    modules = module_files(package_dir)
    order = [layer for layer, _patterns in LAYERS]
    graph = {}
    problems = []
    report = []
    for module, path in sorted(modules.items()):
        inside, outside = imports(module, path, modules)
        graph[module] = set(i.target for i in inside)
        layer = layer_of(module)
        report.append('%s [%s]: %s' % (module, layer, ', '.join(
            sorted(graph[module])) or '-'))
        rel = os.path.relpath(path)
        for imp in inside:
            if imp.implicit:
                continue
            other = layer_of(imp.target)
            if order.index(other) > order.index(layer):
                problems.append(
                    '%s:%d: %s (%s) imports %s of the higher layer %s' % (
                        rel, imp.line, module, layer, imp.target, other))
        if layer not in HEAT_LAYERS:
            for imp in outside:
                if imp.target == 'heat' or imp.target.startswith('heat.'):
                    problems.append(
                        '%s:%d: %s (%s) imports Heat (%s); only the layers '
                        '%s may' % (rel, imp.line, module, layer,
                                    imp.target, ', '.join(HEAT_LAYERS)))
    for component in circles(graph):
        problems.append('import circle: %s' % ' <-> '.join(component))
    return sorted(set(problems)), report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('package_dir', nargs='?', default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..',
        'heat_glance_props'))
    parser.add_argument('--verbose', '-v', action='store_true',
                        help='print every module, its layer and imports')
    args = parser.parse_args(argv)
    problems, report = check(args.package_dir)
    if args.verbose:
        print('\n'.join(report))
    for line in problems:
        print(line)
    print('%d modules, %d problem(s): %s' % (
        len(report), len(problems),
        'no import circle, layers kept' if not problems else 'see above'))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
