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

"""Sphinx extension: the benchmark plots, drawn from the committed JSON.

When the build starts, every plot of :mod:`benchmarks.plots` is drawn
from the JSON files the docs commit (``benchmark-results.json``,
``benchmark-services.json``) into ``_plots/`` of the source directory
(not in git), where the pages find them::

    .. figure:: _plots/benchmark-stack-of-images.svg

No benchmark runs during the build. A JSON whose series are not the
plot's stops the build (:class:`benchmarks.plots.SeriesMismatch`), and
so does a missing plot (``-W``: the figure's image is not found).
"""

import os
import sys

from sphinx import errors
from sphinx.util import logging

LOG = logging.getLogger(__name__)

#: The results each plot source is drawn from, in the source directory.
SOURCES = (
    ('inprocess', 'benchmark-results.json'),
    ('services', 'benchmark-services.json'),
)


def draw_plots(app):
    srcdir = str(app.srcdir)
    repo = os.path.dirname(os.path.dirname(srcdir))
    if repo not in sys.path:
        sys.path.insert(0, repo)
    from benchmarks import plots
    from benchmarks import results

    outdir = os.path.join(srcdir, app.config.benchmark_plots_dir)
    for source, name in SOURCES:
        try:
            written = plots.draw(
                source, results.load(os.path.join(srcdir, name)), outdir)
        except plots.SeriesMismatch as error:
            raise errors.ExtensionError('%s: %s' % (name, error))
        LOG.info('benchmark plots from %s: %s', name, ', '.join(
            os.path.basename(path) for path in written))


def setup(app):
    app.add_config_value('benchmark_plots_dir', '_plots', 'env')
    app.connect('builder-inited', draw_plots)
    return {'version': '1', 'parallel_read_safe': True,
            'parallel_write_safe': True}
