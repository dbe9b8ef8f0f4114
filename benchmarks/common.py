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

"""What the in-process and the service benchmarks share."""

import json
import os


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


def round_results(value):
    """Floats of a result tree rounded to 4 digits, for the JSON."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return dict((k, round_results(v)) for k, v in value.items())
    if isinstance(value, list):
        return [round_results(v) for v in value]
    return value


def save_json(results, output):
    """Write a run's results (rounded) to ``output``."""
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, 'w') as f:
        json.dump(round_results(results), f, indent=1, sort_keys=True)
        f.write('\n')


def column_widths(headers, rows):
    """The width of each column of a text table."""
    return [max(len(str(c)) for c in col) for col in zip(headers, *rows)]
