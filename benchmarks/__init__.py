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

"""Benchmarks of OS::Glance::Image against a real Glance.

Two drivers, each a script: ``benchmarks/run.py`` (``make bench``: a
glance-api and Heat engine code in-process) and ``benchmarks/services.py``
(``make bench-services``: through the mini-cloud's services). See
``doc/source/benchmarks.rst``. By job:

- :mod:`benchmarks.cli`: the one command line of both drivers;
- :mod:`benchmarks.inprocess` and :mod:`benchmarks.cloud`: each driver's
  scenarios (what is measured), measurement (the testbed, the probe) and
  report (its tables, from the JSON alone);
- :mod:`benchmarks.common`, :mod:`benchmarks.templates`: what the scenarios
  of both share (keys, alternation, request counts; the HOT templates);
- :mod:`benchmarks.machine`, :mod:`benchmarks.results`: where the figures
  come from, and the JSON of a run;
- :mod:`benchmarks.tables`: the one table renderer (text, RST);
- :mod:`benchmarks.plots`: the plots (SVG) of both, which the docs build
  draws from the committed JSON.

The report modules, :mod:`benchmarks.tables` and :mod:`benchmarks.plots`
import neither Heat nor a client, so tables and plots can be made from a
JSON file anywhere.
"""
