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
import ipaddress

from oslo_config import cfg
from oslo_config import types

from heat_glance_props._i18n import _
from heat_glance_props import catalog
from heat_glance_props import urlfilter

GROUP = 'glance_properties'


class _Network(types.ConfigType):
    """An IP network in CIDR notation (10.1.0.0/16, fd00::/8)."""

    def __init__(self):
        super(_Network, self).__init__(type_name='network value')

    def __call__(self, value):
        try:
            return str(ipaddress.ip_network(str(value).strip()))
        except ValueError as exc:
            raise ValueError(_('not an IP network: %s') % exc)

    def _formatter(self, value):
        return str(value)


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
    cfg.StrOpt(
        'location_check',
        default='off',
        choices=[
            ('off', _('heat-engine never reads image data')),
            ('warn', _('before creating an image, read the start of the '
                       'data at its location and log a warning when it is '
                       'not of the declared disk_format')),
            ('strict', _('the same, and refuse to create the image when '
                         'the data is not of the declared disk_format')),
        ],
        help=_('Whether OS::Glance::Image checks the data at "location" '
               'against "disk_format" before it asks Glance to import '
               'it, and reads it again to explain an import that failed '
               'with no useful reason. Off by default: the check makes '
               'heat-engine itself send HTTP requests to URLs that '
               'template authors choose, from heat-engine\'s place in the '
               'network, and adds the time of those requests to each '
               'create. Those requests go only where the filter options '
               'below (allowed_schemes to allowed_networks, the rules of '
               'Glance\'s [import_filtering_opts] and stricter) let them; '
               'a location they refuse is not checked (a warning says '
               'why). Data that heat-engine cannot or may not read never '
               'makes a create fail.')),
    cfg.IntOpt(
        'location_check_max_bytes',
        default=64 * 1024 * 1024,
        min=4096,
        help=_('The most bytes the location check reads of one image '
               '(the format inspector usually needs less than 1 MiB).')),
    cfg.FloatOpt(
        'location_check_timeout',
        default=10.0,
        min=0.1,
        help=_('Timeout in seconds of each HTTP request of the location '
               'check.')),
    cfg.ListOpt(
        'allowed_schemes',
        item_type=types.String(quotes=True),
        bounds=True,
        default=list(urlfilter.DEFAULT_SCHEMES),
        help=_('Location check URL filter, like the option of this name '
               'of Glance\'s [import_filtering_opts] (best set to the same '
               'value): the URL schemes the check may read (it never reads '
               'any but http and https). When set, disallowed_schemes is '
               'ignored.')),
    cfg.ListOpt(
        'disallowed_schemes',
        item_type=types.String(quotes=True),
        bounds=True,
        default=[],
        help=_('Location check URL filter, like the option of this name '
               'of Glance\'s [import_filtering_opts] (best set to the same '
               'value): URL schemes the check never reads; used only when '
               'allowed_schemes is empty.')),
    cfg.ListOpt(
        'allowed_hosts',
        item_type=types.HostAddress(),
        bounds=True,
        default=[],
        help=_('Location check URL filter, like the option of this name '
               'of Glance\'s [import_filtering_opts] (best set to the same '
               'value): the only hosts (names or IP addresses, as written '
               'in the URL) the check may read; empty: any host the other '
               'rules let through. A host listed here may use any of its '
               'addresses, loopback and private ones included. When set, '
               'disallowed_hosts is ignored.')),
    cfg.ListOpt(
        'disallowed_hosts',
        item_type=types.HostAddress(),
        bounds=True,
        default=[],
        help=_('Location check URL filter, like the option of this name '
               'of Glance\'s [import_filtering_opts] (best set to the same '
               'value): hosts the check never reads, as written in the URL; '
               'an IP address listed here is also refused when a host name '
               'resolves to it. Used only when allowed_hosts is empty.')),
    cfg.ListOpt(
        'allowed_ports',
        item_type=types.Integer(min=1, max=65535),
        bounds=True,
        default=list(urlfilter.DEFAULT_PORTS),
        help=_('Location check URL filter, like the option of this name '
               'of Glance\'s [import_filtering_opts] (best set to the same '
               'value): the ports the check may connect to. Stricter than '
               'Glance, a URL without a port is checked with its scheme\'s '
               'port (80 or 443). When set, disallowed_ports is ignored.')),
    cfg.ListOpt(
        'disallowed_ports',
        item_type=types.Integer(min=1, max=65535),
        bounds=True,
        default=[],
        help=_('Location check URL filter, like the option of this name '
               'of Glance\'s [import_filtering_opts] (best set to the same '
               'value): ports the check never connects to; used only when '
               'allowed_ports is empty.')),
    cfg.ListOpt(
        'allowed_networks',
        item_type=_Network(),
        bounds=True,
        default=[],
        help=_('Location check URL filter (Glance has no option of this '
               'name). Every address a host resolves to '
               'is checked before heat-engine connects to it: loopback, '
               'link-local (the metadata service), private, shared, '
               'multicast, reserved and other non-global addresses are '
               'refused, unless the host is listed in allowed_hosts or '
               'the address lies in one of these networks (CIDR, e.g. '
               '10.20.0.0/16 for an internal image server).')),
    cfg.BoolOpt(
        'verify_by_download',
        default=True,
        help=_('When the "expected_hash" of an OS::Glance::Image names '
               'another algorithm than the one Glance hashes with '
               '(Glance\'s hashing_algorithm, sha512 by default), read the '
               'stored data back from Glance once, as a stream, and hash '
               'it in heat-engine. That costs one download of the whole '
               'image per create (or per change of the expected hash). '
               'When false, such a resource fails and asks for a hash in '
               'Glance\'s algorithm.')),
    cfg.BoolOpt(
        'prune_finished_engine_threads',
        default=False,
        help=_('heat-engine 25.0.0 to 27.x keep every finished thread in '
               'the thread group of its stack and refuse new ones once '
               'a group holds 1000 ("Maximum number of threads '
               'reached"): a stack stops working after about a thousand '
               'resource events in one engine worker, until heat-engine '
               'restarts. When true, and only when the running Heat has '
               'this defect, the plugin makes each group drop its '
               'finished threads before it starts a new one, as '
               'oslo.service\'s own thread group does, and says so once '
               'in the log.')),
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


def location_check_settings(conf=None):
    """``(mode, max_bytes, timeout)`` of the location check."""
    conf = cfg.CONF if conf is None else conf
    register_opts(conf)
    group = conf[GROUP]
    return (group.location_check, group.location_check_max_bytes,
            group.location_check_timeout)


def verify_by_download(conf=None):
    """Whether an expected hash may be checked by reading the data back."""
    conf = cfg.CONF if conf is None else conf
    register_opts(conf)
    return conf[GROUP].verify_by_download


def prune_finished_engine_threads(conf=None):
    """Whether the engine thread group remedy is enabled."""
    conf = cfg.CONF if conf is None else conf
    register_opts(conf)
    return conf[GROUP].prune_finished_engine_threads


def location_filter(conf=None):
    """The location check's URL filter, from the filter options.

    :returns: a :class:`heat_glance_props.urlfilter.URLFilter`.
    """
    conf = cfg.CONF if conf is None else conf
    register_opts(conf)
    group = conf[GROUP]
    return urlfilter.URLFilter(
        allowed_schemes=group.allowed_schemes,
        disallowed_schemes=group.disallowed_schemes,
        allowed_hosts=group.allowed_hosts,
        disallowed_hosts=group.disallowed_hosts,
        allowed_ports=group.allowed_ports,
        disallowed_ports=group.disallowed_ports,
        allowed_networks=group.allowed_networks)


def load(config_files):
    """A config object with the plugin's options from heat.conf files.

    For the command line tools: read from ``config_files`` only.
    """
    conf = cfg.ConfigOpts()
    register_opts(conf)
    args = []
    for path in config_files or ():
        args += ['--config-file', path]
    conf(args, project='heat', default_config_files=[])
    return conf
