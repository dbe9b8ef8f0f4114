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

"""Sphinx directive: the reference of a Heat resource type, from its schema.

Usage in a page::

    .. heat-resource:: OS::Glance::Image
       :plugin: heat_glance_props.heat_plugins.glance_image

The directive imports the plugin module that heat-engine loads, takes the
class its ``resource_mapping()`` gives for the type and writes, from the
class itself: its support status and docstring, every property of
``properties_schema`` (type, description, required or optional, default,
what an update of it does, constraints, support status, nested schema,
the class that defines it),
the attributes of ``attributes_schema`` and Heat's base attributes, and a
template skeleton. Nothing is written by hand, so the page cannot drift
from the code.

:func:`reference_lines` does the work and returns reStructuredText
lines; it is tested without Sphinx (tests/unit/test_resource_reference.py).
"""

import importlib
import inspect
import re

#: reStructuredText inline markup characters, escaped in schema text
#: (descriptions and values are plain text, not reST).
_MARKUP = re.compile(r'([\\`*_|<>\[\]])')

#: Section underline characters, below a page title over- and underlined
#: with '=' (the style of every page of these docs).
_LEVELS = ('=', '-', '~')


def escape(text):
    """Plain text made safe for reST: one line, markup characters escaped."""
    text = ' '.join(str(text).split())
    return _MARKUP.sub(r'\\\1', text)


def _title(text, level):
    return [text, _LEVELS[level] * len(text), '']


def _support(status):
    """One sentence for a SupportStatus and the statuses before it."""
    parts = []
    while status is not None:
        name = status.status
        words = {'SUPPORTED': 'Available', 'DEPRECATED': 'Deprecated',
                 'HIDDEN': 'Hidden', 'UNSUPPORTED': 'Unsupported'}.get(
                     name, name.capitalize())
        text = words
        if status.version:
            text += ' since %s' % status.version
        if status.message:
            text += ': %s' % status.message.rstrip('.')
        parts.append(text)
        status = status.previous_status
    return '. '.join(parts) + '.'


def _update_behaviour(schema):
    if getattr(schema, 'immutable', False):
        return 'Cannot be updated.'
    if schema.update_allowed:
        return 'Can be updated without replacement.'
    return 'Updates cause replacement.'


def _default(schema):
    default = schema.default
    if default is None:
        return None
    if isinstance(default, bool):
        default = str(default).lower()
    return '``%s``' % (default,) if default != '' else '``""``'


def _nested(schema):
    """``(name, schema)`` pairs of a map's or a list's nested schema."""
    nested = getattr(schema, 'schema', None)
    if not nested:
        return []
    return sorted(nested.items())


def _origin(cls, name, schema):
    """Where property ``name`` of ``cls`` comes from, as a phrase."""
    for base in cls.__mro__[1:]:
        inherited = getattr(base, 'properties_schema', {}).get(name)
        if inherited is None:
            continue
        if inherited is schema:
            return 'inherited unchanged from ``%s``' % base.__qualname__
        return 'this class, replacing the property of ``%s``' % (
            base.__qualname__)
    return 'this class'


def _property_lines(name, schema, indent='', origin=None):
    lines = ['%s``%s``' % (indent, name)]
    body = indent + '   '
    description = schema.description or '(no description)'
    lines += [body + escape(description), '']
    fields = [('Type', schema.type),
              ('Required', 'yes' if schema.required else 'no')]
    default = _default(schema)
    if default is not None:
        fields.append(('Default', default))
    fields.append(('Updates', _update_behaviour(schema)))
    for constraint in schema.constraints:
        fields.append(('Constraint', escape(constraint)))
    fields.append(('Support status', escape(_support(schema.support_status))))
    if origin:
        fields.append(('Defined by', origin))
    for label, value in fields:
        lines.append('%s:%s: %s' % (body, label, value))
    lines.append('')
    nested = _nested(schema)
    if nested:
        lines += [body + 'Nested properties (``*`` is any list item):'
                  if schema.type == 'List' else
                  body + 'Nested properties:', '']
        for sub_name, sub in nested:
            lines += _property_lines(sub_name, sub, body)
    return lines


def _attribute_lines(name, schema):
    lines = ['``%s``' % name,
             '   ' + escape(schema.description or '(no description)'), '']
    if getattr(schema, 'type', None):
        lines.append('   :Type: %s' % schema.type)
    lines.append('   :Support status: %s' % escape(
        _support(schema.support_status)))
    return lines + ['']


def _skeleton(type_name, properties):
    lines = ['.. code-block:: yaml', '',
             '   resources:', '     the_resource:',
             '       type: %s' % type_name, '       properties:']
    for name, schema in sorted(properties.items()):
        if schema.support_status.status == 'HIDDEN':
            continue
        lines.append('         %s: %s' % (name, _placeholder(schema)))
    return lines + ['']


def _placeholder(schema):
    kind = schema.type
    if kind == 'Map':
        return '{...}'
    if kind == 'List':
        return '[%s, ...]' % _nested(schema)[0][1].type if _nested(
            schema) else '[...]'
    return kind


def reference_lines(type_name, cls):
    """The reference of resource type ``type_name`` (class ``cls``)."""
    lines = [
        '.. Generated from %s.%s by the heat-resource directive.' % (
            cls.__module__, cls.__qualname__), '']
    lines += ['*%s*' % escape(_support(cls.support_status)), '']
    doc = inspect.getdoc(cls)
    if doc:
        lines += doc.splitlines() + ['']
    lines += ['Python class: ``%s.%s``' % (cls.__module__, cls.__qualname__),
              '']
    visible = {name: schema for name, schema in cls.properties_schema.items()
               if schema.support_status.status != 'HIDDEN'}
    required = sorted(n for n, s in visible.items() if s.required)
    optional = sorted(n for n, s in visible.items() if not s.required)
    for title, names in (('Required properties', required),
                         ('Optional properties', optional)):
        if not names:
            continue
        lines += _title(title, 0)
        for name in names:
            lines += _property_lines(name, visible[name],
                                     origin=_origin(cls, name, visible[name]))
    attributes = dict(getattr(cls, 'base_attributes_schema', {}))
    attributes.update(cls.attributes_schema)
    attributes = {name: schema for name, schema in attributes.items()
                  if schema.support_status.status != 'HIDDEN'}
    if attributes:
        lines += _title('Attributes', 0)
        for name in sorted(attributes):
            lines += _attribute_lines(name, attributes[name])
    lines += _title('Template syntax', 0)
    lines += _skeleton(type_name, visible)
    return lines


def resource_class(plugin_module, type_name):
    """The class that a heat-engine plugin module maps ``type_name`` to."""
    module = importlib.import_module(plugin_module)
    mapping = getattr(module, 'resource_mapping', None) or getattr(
        module, 'available_resource_mapping')
    return mapping()[type_name]


def setup(app):
    # Sphinx is imported here only, so that the tests can use the module
    # without it.
    from docutils import nodes
    from docutils.parsers.rst import directives
    from docutils import statemachine
    from sphinx.util import docutils as sphinx_docutils
    from sphinx.util import nodes as sphinx_nodes

    class HeatResource(sphinx_docutils.SphinxDirective):
        required_arguments = 1
        option_spec = {'plugin': directives.unchanged_required}

        def run(self):
            type_name = self.arguments[0]
            plugin = self.options['plugin']
            cls = resource_class(plugin, type_name)
            self.env.note_dependency(inspect.getsourcefile(cls))
            source = '<heat-resource %s>' % type_name
            content = statemachine.StringList(
                reference_lines(type_name, cls), source=source)
            container = nodes.section()
            container.document = self.state.document
            sphinx_nodes.nested_parse_with_titles(self.state, content,
                                                  container)
            return container.children

    app.add_directive('heat-resource', HeatResource)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
