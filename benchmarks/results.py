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

"""The results of a run: its sections, run one by one, and its JSON."""

import datetime
import json
import os
import time

#: The version of the JSON's layout.
FORMAT = 1


def new(mode, settings, machine, **fields):
    """The results of a run that starts now, before any section."""
    results = {
        'format': FORMAT,
        'mode': mode,
        'date': datetime.datetime.now(datetime.timezone.utc).strftime(
            '%Y-%m-%dT%H:%M:%SZ'),
        'machine': machine,
        'settings': settings,
        'section_s': {},
    }
    results.update(fields)
    return results


def run_sections(results, steps, sections, output, log):
    """Run each ``(name, title, fn)`` of ``steps`` named in ``sections``.

    ``results[name]`` is what ``fn()`` returns; the JSON is written after
    each section, so that what is measured is kept should a later
    section fail.
    """
    for name, title, fn in steps:
        if name not in sections:
            continue
        log('* %s' % title)
        wall0 = time.perf_counter()
        results[name] = fn()
        results['section_s'][name] = time.perf_counter() - wall0
        log('  done in %.0f s' % results['section_s'][name])
        save_json(results, output)


def finish(results, started, output):
    """Record the run's duration, write the JSON; the rounded results."""
    results['duration_s'] = time.perf_counter() - started
    results = round_results(results)
    save_json(results, output)
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


def load(path):
    with open(path) as f:
        return json.load(f)
