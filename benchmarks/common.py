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

"""What the scenarios of both benchmarks share: keys, runs, requests."""

import re
import statistics

#: Free property keys the benchmarks set (other keys on an image belong
#: to Glance or to a client library).
KEY_PREFIX = 'bench_'

#: Image ids in request paths are replaced by this, so runs compare.
ID = '{id}'

_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                   r'[0-9a-f]{12}')

#: Requests a client makes to learn the API, not to do the work.
_DISCOVERY = re.compile(r'^/(versions/?)?$|^/v2/?$|^/v2/schemas/')


class BenchmarkError(Exception):
    """A benchmarked operation did not do what it should."""


def fail(message, *args):
    raise BenchmarkError(message % args if args else message)


def key(i):
    return '%s%03d' % (KEY_PREFIX, i)


def props(n, value='v0'):
    """``n`` free properties, all set to ``value``."""
    return dict((key(i), value) for i in range(n))


def free_properties(image):
    """The benchmark's own keys of an image (a dict of its fields)."""
    return dict((k, v) for k, v in image.items() if k.startswith(KEY_PREFIX))


def median(values):
    """The median of the values that are not None (None if none are)."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def alternate(sides, reps):
    """Run each ``(name, fn)`` of ``sides`` ``reps`` times, alternating.

    The order flips on every round (A B, B A, ...), so that a slow drift
    of the machine weighs on both sides alike. Returns ``{name: [result
    of each run]}``.
    """
    results = dict((name, []) for name, _fn in sides)
    for rep in range(reps):
        order = sides if rep % 2 == 0 else list(reversed(sides))
        for name, fn in order:
            results[name].append(fn())
    return results


def describe_requests(requests, keep=None):
    """Glance's requests of one operation, API discovery kept apart.

    ``requests`` is ``[(method, path)]``; ids in the paths become
    :data:`ID`. ``keep`` bounds the list of requests kept (their counts
    are always whole).
    """
    requests = [[method, _UUID.sub(ID, path)] for method, path in requests]
    work = [r for r in requests if not _DISCOVERY.match(r[1])]
    by_method = {}
    for method, _path in work:
        by_method[method] = by_method.get(method, 0) + 1
    return {
        'requests': work if keep is None else work[:keep],
        'count': len(work),
        'writes': len([r for r in work if r[0] != 'GET']),
        'by_method': by_method,
        'discovery': len(requests) - len(work),
    }
