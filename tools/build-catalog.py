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

"""Derive the Glance part of the property catalog from Glance's metadefs.

Reads the metadata definition namespaces that an installed Glance ships
(``<prefix>/etc/glance/metadefs/*.json``), keeps the namespaces associated
with the ``OS::Glance::Image`` resource type, applies the association's
prefix to each property name and writes one catalog entry per image
property key: its type, allowed values or range, default, the namespace's
title for it and where it comes from. A key defined by more than one
namespace gets the union of their allowed values.

Usage: tools/build-catalog.py [METADEFS_DIR] [OUTPUT]
"""

import glob
import json
import os
import sys

RESOURCE_TYPE = 'OS::Glance::Image'
DEFAULT_OUTPUT = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'heat_glance_props', 'data', 'glance.json')


def _entry(prop, source):
    kind = prop.get('type', 'string')
    entry = {'source': [source]}
    if prop.get('title'):
        entry['description'] = prop['title']
    if kind == 'array':
        # Lists are written with the operator syntax of the scheduler
        # filters ("<all-in> a b"); only the item values are recorded.
        items = prop.get('items', {})
        entry['type'] = 'string'
        entry['list_of'] = sorted(set(items.get('enum', [])))
    elif 'enum' in prop:
        entry['type'] = 'enum'
        entry['values'] = sorted(set(str(v) for v in prop['enum']))
    elif kind in ('integer', 'number'):
        entry['type'] = kind
        for bound in ('minimum', 'maximum'):
            if bound in prop:
                entry[bound] = prop[bound]
    elif kind == 'boolean':
        entry['type'] = 'boolean'
    else:
        entry['type'] = 'string'
    if 'pattern' in prop:
        entry['pattern'] = prop['pattern']
    if 'default' in prop:
        entry['default'] = prop['default']
    if prop.get('operators'):
        entry['operators'] = list(prop['operators'])
    return entry


def _merge(old, new):
    """Merge two definitions of one key: union of values and sources."""
    merged = dict(old)
    merged['source'] = sorted(set(old['source'] + new['source']))
    if old.get('type') != new.get('type'):
        # Different types for one key: keep the laxer one.
        merged = dict((k, v) for k, v in merged.items()
                      if k in ('source', 'description'))
        merged['type'] = 'string'
        return merged
    if 'values' in old or 'values' in new:
        merged['values'] = sorted(set(old.get('values', [])) |
                                  set(new.get('values', [])))
    if old.get('default') != new.get('default'):
        merged.pop('default', None)
    for key in ('operators',):
        if key in new:
            merged[key] = sorted(set(old.get(key, [])) | set(new[key]))
    return merged


def build(metadefs_dir):
    catalog = {}
    for path in sorted(glob.glob(os.path.join(metadefs_dir, '*.json'))):
        with open(path) as f:
            namespace = json.load(f)
        assoc = [a for a in namespace.get('resource_type_associations', [])
                 if a.get('name') == RESOURCE_TYPE]
        if not assoc:
            continue
        prefix = assoc[0].get('prefix') or ''
        source = 'glance-metadefs:%s (%s)' % (namespace['namespace'],
                                              os.path.basename(path))
        props = dict(namespace.get('properties', {}))
        for obj in namespace.get('objects', []):
            props.update(obj.get('properties', {}))
        for name, prop in props.items():
            key = prefix + name
            entry = _entry(prop, source)
            catalog[key] = (_merge(catalog[key], entry) if key in catalog
                            else entry)
    return catalog


def main(argv):
    metadefs_dir = argv[1] if len(argv) > 1 else os.path.join(
        sys.prefix, 'etc', 'glance', 'metadefs')
    output = argv[2] if len(argv) > 2 else DEFAULT_OUTPUT
    catalog = build(metadefs_dir)
    if not catalog:
        sys.stderr.write('no %s namespaces in %s\n' % (
            RESOURCE_TYPE, metadefs_dir))
        return 1
    with open(output, 'w') as f:
        json.dump(catalog, f, indent=1, sort_keys=True)
        f.write('\n')
    print('%d keys written to %s' % (len(catalog), output))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
