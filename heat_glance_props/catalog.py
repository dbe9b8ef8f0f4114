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
report the same findings.

No Heat import here: the resource and the command line both use it.
"""

import collections
import difflib
import json
import os
import re

from oslo_utils import strutils
import yaml

from heat_glance_props._i18n import _
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

TYPES = ('string', 'enum', 'integer', 'number', 'boolean')

#: The spellings oslo.utils' strutils.bool_from_string (used by Nova's
#: FlexibleBooleanField) understands; anything else reads as false.
BOOLEAN_SPELLINGS = tuple(strutils.TRUE_STRINGS + strutils.FALSE_STRINGS)

_INTEGER = re.compile(r'\s*[-+]?[0-9]+\s*$')

Finding = collections.namedtuple('Finding', ['map', 'key', 'message'])
Finding.__doc__ = """One thing wrong with one key of a property map."""

Review = collections.namedtuple('Review', ['errors', 'warnings'])
Review.__doc__ = """Findings that fail validation, and findings to log."""


class CatalogError(Exception):
    """A catalog file cannot be read or has a malformed entry."""


def _text(value):
    return ', '.join(str(v) for v in value)


class Entry(object):
    """What one key's value must look like."""

    FIELDS = frozenset([
        'type', 'values', 'ignore_case', 'minimum', 'maximum', 'also',
        'accepts', 'pattern', 'settable', 'default', 'unit', 'description',
        'source', 'note', 'operators', 'list_of', 'requires',
        'aliases', 'instead', 'index_max',
    ])

    def __init__(self, key, data, origin):
        if not isinstance(data, dict):
            raise CatalogError(_('%(origin)s: entry %(key)s is not a map') %
                               {'origin': origin, 'key': key})
        unknown = set(data) - self.FIELDS
        if unknown:
            raise CatalogError(
                _('%(origin)s: entry %(key)s has unknown fields: '
                  '%(fields)s') % {'origin': origin, 'key': key,
                                   'fields': _text(sorted(unknown))})
        self.key = key
        self.data = dict(data)
        self.origin = origin
        self.settable = data.get('settable', True)
        self.type = data.get('type', 'string')
        if self.type not in TYPES:
            raise CatalogError(
                _('%(origin)s: entry %(key)s has type %(type)r; use one '
                  'of %(types)s') % {'origin': origin, 'key': key,
                                     'type': self.type,
                                     'types': _text(TYPES)})
        self.ignore_case = bool(data.get('ignore_case', False))
        self.values = [str(v) for v in data.get('values', [])]
        if self.type == 'enum' and not self.values:
            raise CatalogError(_('%(origin)s: enum entry %(key)s has no '
                                 'values') % {'origin': origin, 'key': key})
        aliases = data.get('aliases', {})
        if not isinstance(aliases, dict):
            raise CatalogError(_('%(origin)s: entry %(key)s: "aliases" maps '
                                 'a spelling to a value') % {
                'origin': origin, 'key': key})
        self.aliases = dict((str(k), str(v)) for k, v in aliases.items())
        self.instead = data.get('instead')
        self.index_max = data.get('index_max')
        self.list_of = [str(v) for v in data.get('list_of', [])]
        self.operators = [str(v) for v in data.get('operators', [])]
        self.minimum = data.get('minimum')
        self.maximum = data.get('maximum')
        try:
            number = int if self.type == 'integer' else float
            self.also = [number(v) for v in data.get('also', [])]
            for bound in ('minimum', 'maximum'):
                if data.get(bound) is not None:
                    number(data[bound])
        except (TypeError, ValueError):
            raise CatalogError(_('%(origin)s: entry %(key)s: "minimum", '
                                 '"maximum" and "also" must be numbers') % {
                'origin': origin, 'key': key})
        self.accepts = [str(v).lower() for v in
                        data.get('accepts', BOOLEAN_SPELLINGS)]
        self.pattern = data.get('pattern')
        try:
            self._regex = (re.compile(self.pattern)
                           if self.pattern is not None else None)
        except re.error as exc:
            raise CatalogError(_('%(origin)s: entry %(key)s has a bad '
                                 'pattern: %(exc)s') % {
                'origin': origin, 'key': key, 'exc': exc})
        source = data.get('source', origin)
        if isinstance(source, (list, tuple)):
            source = '; '.join(source)
        self.source = str(source)
        self.requires = self._requires(data.get('requires', {}), origin)
        self.default = data.get('default')
        self.unit = data.get('unit')
        self.description = data.get('description')
        self.note = data.get('note')

    def _requires(self, data, origin):
        """``{value: {other_key: [allowed values]}}``, checked."""
        args = {'origin': origin, 'key': self.key}
        bad = _('%(origin)s: entry %(key)s: "requires" maps a value to a '
                'map of keys to lists of values') % args
        if not isinstance(data, dict):
            raise CatalogError(bad)
        result = {}
        for value, others in data.items():
            if not isinstance(others, dict) or not all(
                    isinstance(v, list) for v in others.values()):
                raise CatalogError(bad)
            result[str(value)] = dict(
                (str(k), [str(x) for x in v]) for k, v in others.items())
        return result

    def allowed(self):
        """A short text saying what a value may be."""
        return str(self._allowed())

    def _allowed(self):
        if not self.settable:
            return _('nothing: the platform sets this key itself')
        if self.type == 'boolean':
            return _('a boolean, one of %s (in any case)') % _text(
                self.accepts)
        if self.type == 'enum':
            if self.ignore_case:
                text = _('one of %s (in any case)') % _text(self.values)
            else:
                text = _('one of %s') % _text(self.values)
            if self.aliases:
                text = _('%(text)s, or a spelling Nova maps to one of '
                         'them (%(aliases)s)') % {
                    'text': text, 'aliases': _text(sorted(self.aliases))}
            return text
        if self.type in ('integer', 'number'):
            return self._range()
        if self.list_of:
            return _('a space-separated list of %s') % _text(self.list_of)
        if self._regex is not None:
            return _('a string matching %s') % self.pattern
        return _('any string')

    def _range(self):
        noun = str(_('an integer') if self.type == 'integer'
                   else _('a number'))
        args = {'noun': noun, 'min': self.minimum, 'max': self.maximum}
        if self.minimum is not None and self.maximum is not None:
            text = _('%(noun)s from %(min)s to %(max)s') % args
        elif self.minimum is not None:
            text = _('%(noun)s of at least %(min)s') % args
        elif self.maximum is not None:
            text = _('%(noun)s of at most %(max)s') % args
        else:
            text = noun
        parts = [str(text)]
        if self.also:
            parts.append(str(_(', or %s') % _text(self.also)))
        if self.unit:
            parts.append(' (%s)' % self.unit)
        return ''.join(parts)

    def _number_ok(self, value):
        if self.type == 'integer':
            if not _INTEGER.match(value):
                return False
            number = int(value)
        else:
            try:
                number = float(value)
            except ValueError:
                return False
        if number in self.also:
            return True
        if self.minimum is not None and number < self.minimum:
            return False
        if self.maximum is not None and number > self.maximum:
            return False
        return True

    def _in(self, value, choices):
        if self.ignore_case:
            return value.lower() in [c.lower() for c in choices]
        return value in choices

    def _operands(self, value):
        """The operands of a value written with filter operators."""
        words = value.split()
        if self.operators and words and words[0] in self.operators:
            return [w for w in words if w not in self.operators]
        return None

    def accepts_value(self, value):
        """Whether a normalised (string) value is allowed."""
        if not self.settable:
            return False
        if self.type == 'boolean':
            return value.strip().lower() in self.accepts
        if self.type in ('integer', 'number'):
            return self._number_ok(value)
        if self.type == 'enum':
            operands = self._operands(value)
            if operands is not None:
                return bool(operands) and all(self._in(v, self.values)
                                              for v in operands)
            return (self._in(value, self.values) or
                    self._in(value, list(self.aliases)))
        if self.list_of:
            operands = self._operands(value)
            if operands is None:
                operands = value.split()
            return all(self._in(v, self.list_of) for v in operands)
        if self._regex is not None:
            return self._regex.fullmatch(value) is not None
        return True


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


def read_file(path):
    """The entries of one catalog file (JSON, or YAML for any other name)."""
    try:
        with open(path) as f:
            if path.endswith('.json'):
                data = json.load(f)
            else:
                data = yaml.safe_load(f)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise CatalogError(_('cannot read catalog file %(path)s: %(exc)s') %
                           {'path': path, 'exc': exc})
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CatalogError(_('catalog file %s must hold a map of keys to '
                             'entries') % path)
    origin = os.path.basename(path)
    return dict((str(key), Entry(str(key), value, origin))
                for key, value in data.items())


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
    return Entry(entry.key, data, entry.origin)


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
                    'allowed': _text(allowed), 'source': entry.source}
            return Finding(map_name, key, str(_(
                "key '%(key)s' in '%(map)s' is '%(value)s', which needs "
                "'%(other)s' to be one of %(allowed)s, but it is "
                "'%(other_value)s' (source: %(source)s).") % args))
    return None


def check(maps, catalog):
    """Check property maps against the catalog.

    :param maps: ``(map_name, mapping)`` pairs, as for
        :func:`heat_glance_props.imageprops.find_problems`.
    :returns: a list of :class:`Finding`, in map and key order.
    """
    values = {}
    for _name, mapping in maps:
        for key, value in (mapping or {}).items():
            try:
                text = imageprops.normalise_value(value)
            except TypeError:
                continue
            if text is not None:
                values[key] = text
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
                       '%(modes)s') % {'mode': mode, 'modes': _text(MODES)})


def check_maps(maps, mode=STRICT, extra_files=()):
    """The catalog part of a resource's validation.

    :returns: a :class:`Review`; with mode ``off`` the catalog is not
        even loaded.
    """
    if mode == OFF:
        return Review([], [])
    return apply_mode(check(maps, load(extra_files)), mode)


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


def review(maps, first_class=(), mode=STRICT, extra_files=()):
    """Everything the resource checks in its property maps, in one pass.

    The rules of :func:`heat_glance_props.imageprops.find_problems` are
    always errors and come first, in map order; then the catalog's
    findings (errors or warnings by ``mode``) of the keys those rules
    left alone, in map and key order; then the values Nova would cut
    (warnings, unless ``mode`` is ``off``).
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
    found = check_maps(clean, mode, extra_files)
    return Review(errors + found.errors,
                  found.warnings + nova_view(clean))
