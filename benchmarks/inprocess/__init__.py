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

"""The in-process benchmarks (``benchmarks/run.py``, ``make bench``).

A real glance-api (the test harness's) and Heat engine code in this
process. :mod:`.bench` is the testbed and how it measures; :mod:`.scenarios`
and :mod:`.request_counts` are what is measured; :mod:`.report` is what
the figures say (checks) and their tables.
"""
