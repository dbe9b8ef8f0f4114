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

"""The one table renderer of the benchmarks: text and reStructuredText.

A table is ``(title, headers, rows)``, every cell a string; each
benchmark's report module turns its results into a list of them.
"""


def seconds(value, digits):
    """A figure with ``digits`` decimals; ``-`` when there is none."""
    return '-' if value is None else '%.*f' % (digits, value)


def count(value):
    """A whole number as such, a median between two as ``x.5``."""
    if value is None:
        return '-'
    return '%d' % value if value == int(value) else '%.1f' % value


def _widths(headers, rows):
    return [max(len(c) for c in col) for col in zip(headers, *rows)]


def _line(cells, widths, sep):
    return sep.join(c.ljust(w) for c, w in zip(cells, widths))


def text(tables):
    """The tables for a terminal: a title, the headers, a rule, rows."""
    lines = []
    for title, headers, rows in tables:
        widths = _widths(headers, rows)
        lines.append(title)
        lines.append(_line(headers, widths, '  '))
        lines.append(_line(['-' * w for w in widths], widths, '  '))
        for row in rows:
            lines.append(_line(row, widths, '  '))
        lines.append('')
    return '\n'.join(lines)


def rst(tables):
    """The tables as reStructuredText, for doc/source/benchmarks.rst."""
    lines = []
    for title, headers, rows in tables:
        widths = _widths(headers, rows)
        border = ' '.join('=' * w for w in widths)
        lines.append('.. table:: %s' % title)
        lines.append('')
        for line in [border, _line(headers, widths, ' '), border] + [
                _line(row, widths, ' ') for row in rows] + [border]:
            lines.append(('   ' + line).rstrip())
        lines.append('')
    return '\n'.join(lines)
