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

"""Options of the ``[glance_properties]`` group of heat.conf."""

import copy

from oslo_config import cfg

from heat_glance_props._i18n import _
from heat_glance_props import catalog

GROUP = 'glance_properties'

OPTS = [
    cfg.StrOpt(
        'catalog_mode',
        default=catalog.STRICT,
        choices=[
            (catalog.STRICT, _('a value that breaks its catalog entry, or '
                               'a key one edit away from a catalog key, '
                               'fails validation')),
            (catalog.WARN, _('the same findings are logged as warnings; '
                             'validation passes')),
            (catalog.OFF, _('the catalog is not consulted')),
        ],
        help=_('What OS::Glance::Image validation does with the findings '
               'of the image property catalog. The rules that Glance '
               'itself enforces (reserved, read-only and core keys) '
               'always apply.')),
    cfg.ListOpt(
        'catalog_files',
        default=[],
        help=_('Extra catalog files (YAML, or JSON for names ending in '
               '.json), applied after the built-in catalog in the order '
               'given: an entry replaces the entry of the same key. Use '
               'them to describe the keys of your cloud or to relax a '
               'built-in entry.')),
]


def register_opts(conf):
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    """The options, for oslo-config-generator (oslo.config.opts)."""
    return [(GROUP, copy.deepcopy(OPTS))]


def settings(conf=None):
    """``(mode, catalog_files)`` from a config object (default cfg.CONF)."""
    conf = cfg.CONF if conf is None else conf
    register_opts(conf)
    group = conf[GROUP]
    return group.catalog_mode, list(group.catalog_files or [])
