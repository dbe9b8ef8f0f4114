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

"""One entry of the image property catalog, and the files that hold them.

An :class:`Entry` says what the value of one image property key must look
like (its type, values, range, pattern, the keys it requires); a catalog
file (JSON, or YAML) maps keys to entries. :mod:`heat_glance_props.catalog`
loads the files and checks property maps against them. No Heat import.
"""

import json
import os
import re

from oslo_utils import strutils
import yaml

from heat_glance_props._i18n import _

TYPES = ('string', 'enum', 'integer', 'number', 'boolean')

#: The spellings oslo.utils' strutils.bool_from_string (used by Nova's
#: FlexibleBooleanField) understands; anything else reads as false.
BOOLEAN_SPELLINGS = tuple(strutils.TRUE_STRINGS + strutils.FALSE_STRINGS)

_INTEGER = re.compile(r'\s*[-+]?[0-9]+\s*$')


class CatalogError(Exception):
    """A catalog file cannot be read or has a malformed entry."""


def join(value):
    """``a, b, c`` for a message."""
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
                                   'fields': join(sorted(unknown))})
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
                                     'types': join(TYPES)})
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
            return _('a boolean, one of %s (in any case)') % join(
                self.accepts)
        if self.type == 'enum':
            if self.ignore_case:
                text = _('one of %s (in any case)') % join(self.values)
            else:
                text = _('one of %s') % join(self.values)
            if self.aliases:
                text = _('%(text)s, or a spelling Nova maps to one of '
                         'them (%(aliases)s)') % {
                    'text': text, 'aliases': join(sorted(self.aliases))}
            return text
        if self.type in ('integer', 'number'):
            return self._range()
        if self.list_of:
            return _('a space-separated list of %s') % join(self.list_of)
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
            parts.append(str(_(', or %s') % join(self.also)))
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
