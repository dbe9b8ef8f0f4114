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

"""Derive the Nova part of the property catalog from Nova's own schema.

Nova reads an image's properties into ``nova.objects.image_meta.
ImageMetaProps``: one typed field per key, a map of legacy key names, the
indexed keys ``hw_numa_cpus.N`` and ``hw_numa_mem.N`` and the
``trait:NAME`` keys. This tool imports the installed Nova (a tool and test
dependency of this project, pinned in upper-constraints.txt; never a
runtime one) and writes one catalog entry per key:

* enumerations: the values of the field's type; whether Nova ignores the
  case and which other spellings it maps to a value are found by asking
  the field's own ``coerce()`` (every string literal of the type's code is
  tried), not by reading Nova's code by hand;
* integers: ``int()``, as Nova's IntegerField (a NonNegativeIntegerField
  also has a minimum of 0; Nova 34 has no such image property);
* booleans: any spelling of ``oslo_utils.strutils.bool_from_string``;
* strings, UUIDs, version predicates and lists: strings.

Usage: tools/build-nova-catalog.py [--check] [OUTPUT]

With ``--check`` nothing is written: the exit status is 1 (and a diff is
printed) when OUTPUT differs from what the installed Nova gives.
"""

import ast
import difflib
import inspect
import json
import os
import sys
import textwrap
import warnings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO, 'heat_glance_props', 'data',
                              'nova.json')

#: The keys ImageMetaProps reads from indexed properties, and the shape
#: of one value (nova.virt.hardware.parse_cpu_spec for the CPUs; int()
#: for the memory in MiB).
INDEXED = {
    'hw_numa_cpus': {
        'type': 'string',
        'pattern': r'\s*\^?[0-9]+(\s*-\s*[0-9]+)?\s*'
                   r'(,\s*\^?[0-9]+(\s*-\s*[0-9]+)?\s*)*',
        'description': 'Guest CPUs of NUMA node N (e.g. 0-3,^2).',
        'parser': 'nova.virt.hardware.parse_cpu_spec',
    },
    'hw_numa_mem': {
        'type': 'integer',
        'minimum': 0,
        'unit': 'MiB',
        'description': 'Guest memory of NUMA node N.',
        'parser': 'int()',
    },
}


def _string_literals(cls):
    """Every string constant in the code of a class and its Nova bases."""
    found = set()
    for klass in inspect.getmro(cls):
        if not klass.__module__.startswith('nova.'):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value,
                                                             str):
                found.add(node.value)
        for value in vars(klass).values():
            if isinstance(value, dict):
                found.update(k for k in value if isinstance(k, str))
    return found


def _coerce(field, value):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return field.coerce(None, 'probe', value)
    except Exception:
        return None


def _enum(field, entry):
    values = [str(v) for v in field._type._valid_values]
    entry['type'] = 'enum'
    entry['values'] = values
    folds = [v for v in values if v != v.upper()]
    if folds and all(_coerce(field, v.upper()) == v and
                     _coerce(field, v.capitalize()) == v for v in values):
        entry['ignore_case'] = True
    aliases = {}
    for text in sorted(_string_literals(type(field._type))):
        if text in values or not text.strip():
            continue
        if entry.get('ignore_case') and text.lower() in values:
            continue
        result = _coerce(field, text)
        if result is not None and str(result) in values:
            aliases[text] = str(result)
    if aliases:
        entry['aliases'] = aliases


def _entry(name, field, version):
    from oslo_versionedobjects import fields as ovo_fields

    kind = type(field).__name__
    entry = {'source': 'nova %s:ImageMetaProps.%s (%s)' % (
        version, name, kind)}
    ftype = field._type
    if isinstance(ftype, ovo_fields.Enum):
        _enum(field, entry)
    elif isinstance(ftype, ovo_fields.Integer):
        entry['type'] = 'integer'
        if isinstance(ftype, ovo_fields.NonNegativeInteger):
            entry['minimum'] = 0
    elif type(ftype).__name__ == 'FlexibleBoolean':
        entry['type'] = 'boolean'
    elif isinstance(ftype, ovo_fields.Boolean):
        entry['type'] = 'boolean'
    else:
        entry['type'] = 'string'
        if isinstance(ftype, ovo_fields.UUID):
            entry['description'] = 'A UUID.'
        elif isinstance(ftype, ovo_fields.List):
            entry['description'] = 'A JSON list.'
    return entry


def build():
    """The catalog entries the installed Nova gives, by key."""
    warnings.simplefilter('ignore')
    from nova.objects import image_meta
    import nova.version

    version = nova.version.version_string()
    props = image_meta.ImageMetaProps
    catalog = {}
    for name, field in sorted(props.fields.items()):
        entry = _entry(name, field, version)
        if name in INDEXED:
            entry = {
                'source': entry['source'],
                'settable': False,
                'instead': '%s.0, %s.1, ...' % (name, name),
                'note': 'Nova reads only the indexed keys %s.N (N from 0 '
                        'to %d, without gaps).' % (name,
                                                   props.NUMA_NODES_MAX - 1),
            }
        elif name == 'traits_required':
            entry = {
                'source': entry['source'],
                'settable': False,
                'instead': 'trait:NAME: required',
                'note': 'Nova fills this field from the trait:NAME keys '
                        'and ignores a property of this name.',
            }
        catalog[name] = entry
    for name, spec in sorted(INDEXED.items()):
        entry = dict((k, v) for k, v in spec.items() if k != 'parser')
        entry['source'] = ('nova %s:ImageMetaProps.%s (indexed keys, '
                           'read with %s)' % (version, name, spec['parser']))
        entry['index_max'] = props.NUMA_NODES_MAX - 1
        catalog[name + '.N'] = entry
    for legacy, current in sorted(props._legacy_property_map.items()):
        if legacy in props.fields:
            continue
        entry = dict(catalog[current])
        entry['source'] = ('nova %s:ImageMetaProps._legacy_property_map '
                           '(%s -> %s)' % (version, legacy, current))
        entry['note'] = ('Legacy name of %s; Nova reads it when %s is not '
                         'set.' % (current, current))
        catalog[legacy] = entry
    catalog['trait:NAME'] = {
        'type': 'enum',
        'values': ['required'],
        'source': 'nova %s:ImageMetaProps._set_attr_from_trait_names; '
                  'os-traits' % version,
        'description': 'A placement trait the host must have; NAME is a '
                       'standard trait of the os-traits library or '
                       'CUSTOM_*.',
        'note': 'Nova reads only the value "required".',
    }
    return catalog


def dump(catalog):
    return json.dumps(catalog, indent=1, sort_keys=True) + '\n'


def main(argv):
    args = list(argv[1:])
    check = '--check' in args
    args = [a for a in args if a != '--check']
    output = args[0] if args else DEFAULT_OUTPUT
    text = dump(build())
    if check:
        try:
            with open(output) as f:
                committed = f.read()
        except OSError as exc:
            sys.stderr.write('cannot read %s: %s\n' % (output, exc))
            return 1
        if committed == text:
            print('%s is what the installed Nova gives' % output)
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            committed.splitlines(True), text.splitlines(True),
            output + ' (committed)', output + ' (from the installed Nova)'))
        return 1
    with open(output, 'w') as f:
        f.write(text)
    print('%d keys written to %s' % (len(json.loads(text)), output))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
