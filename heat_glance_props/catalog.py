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
"""A typed catalog of well-known image property keys, and its rules.

The catalog says, for each key that OpenStack services read from an image
(Nova and its drivers, Glance's metadata definitions, StarlingX), what a
value must look like. :func:`check` compares the free-property maps of a
template against it; :func:`review` runs the rules of
:func:`heat_glance_props.imageprops.find_problems` first, exactly as the
resource does, so that the offline ``validate`` command and the resource
report the same findings. The entries themselves (what one key's value
must look like) and the reading of one catalog file are in
:mod:`heat_glance_props.catalog_entry`.

No Heat import here: the resource and the command line both use it.
"""

import collections
import difflib
import os
import re

from heat_glance_props._i18n import _
from heat_glance_props import catalog_entry
from heat_glance_props import imageprops

MODES = (STRICT, WARN, OFF) = ('strict', 'warn', 'off')

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')

#: The built-in catalog files, in the order they are applied: an entry in
#: a later file replaces the entry of the same key in an earlier one.
BUILTIN_FILES = (
    os.path.join(DATA_DIR, 'glance.json'),
    os.path.join(DATA_DIR, 'nova.json'),
    os.path.join(DATA_DIR, 'catalog.yaml'),
)

#: The longest value, in bytes of UTF-8, that Nova keeps: it copies every
#: image property into the instance's system metadata as ``image_<key>``,
#: cut to this length.
NOVA_VALUE_BYTES = 255

#: A key ``trait:NAME``: Nova requires the placement trait NAME of the
#: host (os-traits names it, or it is CUSTOM_*).
TRAIT_PREFIX = 'trait:'
_CUSTOM_TRAIT = re.compile(r'CUSTOM_[A-Z0-9_]+$')
_INDEXED = re.compile(r'(.+)\.([0-9]+)$')

Finding = collections.namedtuple('Finding', ['map', 'key', 'message'])
Finding.__doc__ = """One thing wrong with one key of a property map."""

Review = collections.namedtuple('Review', ['errors', 'warnings'])
Review.__doc__ = """Findings that fail validation, and findings to log."""

#: A catalog file cannot be read or has a malformed entry.
CatalogError = catalog_entry.CatalogError

#: The entries of one catalog file.
read_file = catalog_entry.read_file


def one_edit_apart(a, b):
    """Whether two different strings are one edit apart.

    An edit inserts, deletes or replaces one character, or swaps two
    neighbouring characters (so ``hw_tpm_modle`` is one edit away from
    ``hw_tpm_model``).
    """
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1:] == b[i + 1:]:
            return True
        return (i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and
                a[i + 2:] == b[i + 2:])
    if la > lb:
        return a[i + 1:] == b[i:]
    return a[i:] == b[i + 1:]


class Catalog(object):
    """Catalog entries by key."""

    def __init__(self, entries=None, files=()):
        self.entries = dict(entries or {})
        self.files = tuple(files)

    def __contains__(self, key):
        return self.get(key) is not None

    def __len__(self):
        return len(self.entries)

    def get(self, key):
        """The entry of a key; ``name.N`` keys use the ``name.N`` entry."""
        entry = self.entries.get(key)
        if entry is not None or not isinstance(key, str):
            return entry
        match = _INDEXED.match(key)
        if match:
            entry = self.entries.get(match.group(1) + '.N')
            if entry is not None and (entry.index_max is None or
                                      int(match.group(2)) <= entry.index_max):
                return entry
        return None

    def suggest(self, key):
        """Catalog keys one edit away from ``key`` (or equal but for case)."""
        lower = key.lower()
        return sorted(k for k in self.entries
                      if k.lower() == lower or one_edit_apart(key, k))


_CACHE = {}

NOVA_FILE = BUILTIN_FILES[1]

#: What a Nova entry keeps of the Glance metadefs entry of the same key
#: and type: Nova's schema says what Nova reads (type, values); the
#: metadefs add the facts Nova's schema has no room for.
_FROM_GLANCE = ('description', 'default', 'minimum', 'maximum', 'unit',
                'operators')


def _over_glance(entry, glance):
    """A Nova entry, with what the Glance entry adds to it."""
    if glance is None or glance.type != entry.type:
        return entry
    data = dict(entry.data)
    for field in _FROM_GLANCE:
        if field in glance.data and field not in data:
            data[field] = glance.data[field]
    data['source'] = '%s; %s' % (entry.source, glance.source)
    return catalog_entry.Entry(entry.key, data, entry.origin)


def load(extra_files=(), builtin=True):
    """The catalog: the built-in files, then ``extra_files`` in order.

    An entry replaces the entry of the same key from an earlier file.
    Results are cached until one of the files changes.

    :raises CatalogError: for a missing, unreadable or malformed file.
    """
    files = (BUILTIN_FILES if builtin else ()) + tuple(extra_files or ())
    stamp = []
    for path in files:
        try:
            stamp.append((path, os.stat(path).st_mtime_ns))
        except OSError as exc:
            raise CatalogError(_('cannot read catalog file %(path)s: '
                                 '%(exc)s') % {'path': path, 'exc': exc})
    stamp = tuple(stamp)
    if stamp not in _CACHE:
        entries = {}
        for path in files:
            new = read_file(path)
            if path == NOVA_FILE:
                new = dict((k, _over_glance(e, entries.get(k)))
                           for k, e in new.items())
            entries.update(new)
        _CACHE.clear()
        _CACHE[stamp] = Catalog(entries, files)
    return _CACHE[stamp]


def _short(value):
    value = str(value)
    return value if len(value) <= 60 else value[:57] + '...'


def standard_traits():
    """The standard trait names of the os-traits library."""
    if not _TRAITS:
        import os_traits
        _TRAITS.append(frozenset(os_traits.get_traits()))
    return _TRAITS[0]


_TRAITS = []


def _check_trait(catalog, key, text, map_name):
    """The finding for a ``trait:NAME`` key, or None."""
    name = key[len(TRAIT_PREFIX):]
    args = {'key': key, 'map': map_name, 'name': name,
            'value': _short(text)}
    if name not in standard_traits() and not _CUSTOM_TRAIT.match(name):
        near = difflib.get_close_matches(name, sorted(standard_traits()),
                                         n=3, cutoff=0.85)
        args['near'] = (str(_("; did you mean '%s'?") % "', '".join(
            TRAIT_PREFIX + n for n in near)) if near else '.')
        return Finding(map_name, key, str(_(
            "key '%(key)s' in '%(map)s' names '%(name)s', which is "
            "neither a standard trait of os-traits nor a custom trait "
            "(CUSTOM_ followed by A-Z, 0-9 and _)%(near)s") % args))
    entry = catalog.get('trait:NAME')
    if entry is not None and not entry.accepts_value(text):
        args['allowed'] = entry.allowed()
        args['source'] = entry.source
        return Finding(map_name, key, str(_(
            "key '%(key)s' in '%(map)s' has value '%(value)s'; allowed: "
            "%(allowed)s (source: %(source)s).") % args))
    return None


def check_value(catalog, key, value, map_name='properties'):
    """The finding for one key and value, or None when it is fine."""
    try:
        text = imageprops.normalise_value(value)
    except TypeError:
        return None  # imageprops.find_problems reports it
    if text is None:
        return None
    if isinstance(key, str) and key.startswith(TRAIT_PREFIX):
        return _check_trait(catalog, key, text, map_name)
    entry = catalog.get(key)
    if entry is None:
        if not isinstance(key, str):
            return None
        near = catalog.suggest(key)
        if not near:
            return None
        args = {'key': key, 'map': map_name,
                'near': "', '".join(near)}
        return Finding(map_name, key, str(_(
            "key '%(key)s' in '%(map)s' is not a known image property; did "
            "you mean '%(near)s'? (If the name is intended, add it to a "
            "catalog file of your own.)") % args))
    if entry.accepts_value(text):
        return None
    args = {'key': key, 'map': map_name, 'value': _short(text),
            'allowed': entry.allowed(), 'source': entry.source}
    if not entry.settable and entry.instead:
        args['instead'] = entry.instead
        return Finding(map_name, key, str(_(
            "key '%(key)s' in '%(map)s' is not read by Nova (source: "
            "%(source)s); use %(instead)s instead.") % args))
    if not entry.settable:
        return Finding(map_name, key, str(_(
            "key '%(key)s' in '%(map)s' is set by the platform itself and "
            "must not be set by a template (source: %(source)s); remove "
            "it.") % args))
    return Finding(map_name, key, str(_(
        "key '%(key)s' in '%(map)s' has value '%(value)s'; allowed: "
        "%(allowed)s (source: %(source)s).") % args))


def _requirement(catalog, key, text, values, map_name):
    """The finding for a value that another key's value contradicts."""
    entry = catalog.get(key)
    for other, allowed in sorted(entry.requires.get(text, {}).items()):
        if other in values and values[other] not in allowed:
            args = {'key': key, 'map': map_name, 'value': _short(text),
                    'other': other, 'other_value': _short(values[other]),
                    'allowed': catalog_entry.join(allowed),
                    'source': entry.source}
            return Finding(map_name, key, str(_(
                "key '%(key)s' in '%(map)s' is '%(value)s', which needs "
                "'%(other)s' to be one of %(allowed)s, but it is "
                "'%(other_value)s' (source: %(source)s).") % args))
    return None


def _texts(maps):
    """Every key the maps set, to its normalised value."""
    values = {}
    for _name, mapping in maps:
        for key, value in (mapping or {}).items():
            try:
                text = imageprops.normalise_value(value)
            except TypeError:
                continue
            if text is not None:
                values[key] = text
    return values


def check(maps, catalog, first_class=None):
    """Check property maps against the catalog.

    :param maps: ``(map_name, mapping)`` pairs, as for
        :func:`heat_glance_props.imageprops.find_problems`.
    :param first_class: the resource's first-class properties that Glance
        stores as free properties (name to value, ``None`` or ``''`` not
        set): their values are checked as the same key in a map is, and
        other keys' requirements see them.
    :returns: a list of :class:`Finding`, in map and key order, then the
        first-class properties in name order.
    """
    in_maps = _texts(maps)
    first_class = imageprops.first_class_values(first_class)
    values = dict(first_class, **in_maps)
    findings = []
    for map_name, mapping in maps:
        for key in sorted((mapping or {}), key=str):
            finding = check_value(catalog, key, mapping[key], map_name)
            if (finding is None and key in values and key in catalog and
                    catalog.get(key).requires):
                finding = _requirement(catalog, key, values[key], values,
                                       map_name)
            if finding is not None:
                findings.append(finding)
    for name, text in sorted(first_class.items()):
        entry = catalog.get(name)
        # A map that sets the key too has been checked (the same value:
        # imageprops.find_problems refuses another one).
        if name in in_maps or entry is None or entry.accepts_value(text):
            continue
        args = {'key': name, 'value': _short(text),
                'allowed': entry.allowed(), 'source': entry.source}
        findings.append(Finding(None, name, str(_(
            "property '%(key)s' has value '%(value)s'; allowed: "
            "%(allowed)s (source: %(source)s).") % args)))
    return findings


def apply_mode(findings, mode):
    """Split catalog findings into errors and warnings for a mode."""
    if mode == STRICT:
        return Review(list(findings), [])
    if mode == WARN:
        return Review([], list(findings))
    if mode == OFF:
        return Review([], [])
    raise ValueError(_('unknown catalog mode %(mode)r; use one of '
                       '%(modes)s') % {'mode': mode,
                                       'modes': catalog_entry.join(MODES)})


def check_maps(maps, mode=STRICT, extra_files=(), first_class=None):
    """The catalog part of a resource's validation.

    :param first_class: see :func:`check`.
    :returns: a :class:`Review`; with mode ``off`` the catalog is not
        even loaded.
    """
    if mode == OFF:
        return Review([], [])
    return apply_mode(check(maps, load(extra_files), first_class), mode)


def nova_view(maps):
    """Warnings for values Nova would cut when it copies them.

    Nova copies every image property into each instance it boots or
    rebuilds from the image (as system metadata ``image_<key>``) and cuts
    the value to :data:`NOVA_VALUE_BYTES` bytes of UTF-8.
    """
    findings = []
    for map_name, mapping in maps:
        for key in sorted((mapping or {}), key=str):
            try:
                text = imageprops.normalise_value(mapping[key])
            except TypeError:
                continue
            if text is None:
                continue
            size = len(text.encode('utf-8', 'surrogatepass'))
            if size > NOVA_VALUE_BYTES:
                args = {'key': key, 'map': map_name, 'size': size,
                        'max': NOVA_VALUE_BYTES}
                findings.append(Finding(map_name, key, str(_(
                    "key '%(key)s' in '%(map)s' has a value of %(size)d "
                    "bytes (UTF-8); Nova keeps only the first %(max)d "
                    "bytes in the servers it boots from the image.") %
                    args)))
    return findings


def review(maps, first_class=None, mode=STRICT, extra_files=()):
    """Everything the resource checks in its property maps, in one pass.

    The rules of :func:`heat_glance_props.imageprops.find_problems` are
    always errors and come first, in map order; then the catalog's
    findings (errors or warnings by ``mode``) of the keys those rules
    left alone, in map and key order, and of the first-class properties;
    then the values Nova would cut (warnings, unless ``mode`` is ``off``).

    :param first_class: the resource's first-class properties that Glance
        stores as free properties, name to value (``os_distro``, ...;
        ``None`` or ``''`` is not set). A map may set the same key to the
        same value; a different value is an error.
    """
    problems = imageprops.find_problems(maps, first_class)
    names = dict((k, name) for name, mapping in maps
                 for k in (mapping or {}))
    errors = [Finding(names.get(k), k, str(m)) for k, m in problems]
    flagged = set(k for k, _m in problems)
    if mode == OFF:
        return Review(errors, [])
    clean = [(name, dict((k, v) for k, v in (mapping or {}).items()
                         if k not in flagged))
             for name, mapping in maps]
    found = check_maps(clean, mode, extra_files, first_class)
    return Review(errors + found.errors,
                  found.warnings + nova_view(clean))
