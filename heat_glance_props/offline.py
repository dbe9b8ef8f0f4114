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

"""Check the image property maps of a HOT template without a cloud.

The template, its environment files and parameters are read with Heat's
own template code, so ``get_param`` and the other functions that need no
cloud resolve as they would in heat-engine. Every ``OS::Glance::Image``
(and Heat's ``OS::Glance::WebImage``) is then checked with
:func:`heat_glance_props.catalog.review`, the rules the resource's
``validate()`` applies. Heat must be installed (it is wherever heat-engine
runs); nothing talks to Keystone, Glance or a database.
"""

import collections
import logging
import os
import sys
import warnings

from oslo_config import cfg

from heat_glance_props._i18n import _
from heat_glance_props import catalog
from heat_glance_props import opts

Report = collections.namedtuple('Report', ['resource', 'type', 'level',
                                           'finding'])
Report.__doc__ = """One finding about one resource of a template."""

ERROR = 'error'
WARNING = 'warning'

_READY = []


class TemplateError(Exception):
    """The template or an environment file cannot be read or parsed."""


def _select_backend():
    """Run Heat's code on oslo.service's threading backend.

    The first heat.engine import would otherwise pick eventlet (and warn
    that it is deprecated). In a process that already chose a backend
    (heat-engine itself) the choice stands.
    """
    # futurist imports eventlet when it is installed, which then warns
    # that it is deprecated: noise for a command line tool.
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    try:
        from oslo_service import backend
        from oslo_service.backend import exceptions
    except ImportError:  # an oslo.service without selectable backends
        return
    try:
        backend.init_backend(backend.BackendType.THREADING)
    except exceptions.BackendAlreadySelected:
        pass


def setup_heat(config_files=()):
    """Configure Heat's template code for offline use, once per process.

    :param config_files: heat.conf files to read (for the
        ``[glance_properties]`` options); none by default.
    """
    if _READY:
        return
    _select_backend()
    from heat.common import config  # noqa: F401  registers Heat's options
    from heat.engine import resources
    from heat.engine import stack  # noqa: F401  registers Heat's options

    from heat_glance_props.cmd import cli

    opts.register_opts(cfg.CONF)
    if resources._environment is not None:
        # Already inside a configured Heat (heat-engine, or tests).
        _READY.append(True)
        return
    # Heat announces every hidden resource type and the plugin's override
    # at WARNING; none of that concerns a template check.
    logging.getLogger('heat').setLevel(logging.ERROR)

    args = []
    for path in config_files:
        args.extend(['--config-file', path])
    cfg.CONF(args, project='heat', default_config_files=[])
    # Heat's own directories where Heat is installed as a system package,
    # else those a Python package install of Heat brings.
    for option, name in (('environment_dir', 'environment.d'),
                         ('template_dir', 'templates')):
        if not os.path.isdir(cfg.CONF[option]):
            cfg.CONF.set_default(option, os.path.join(
                sys.prefix, 'etc', 'heat', name))
    cfg.CONF.set_override('plugin_dirs', [cli.plugin_dir()])
    resources.initialise()
    _READY.append(True)


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as exc:
        raise TemplateError(_('cannot read %(path)s: %(exc)s') % {
            'path': path, 'exc': exc.strerror or exc})


def build_stack(path, env_files=(), params=None):
    """A Heat Stack object for a template file (never stored or created)."""
    from heat.common import context
    from heat.common import environment_util
    from heat.common import template_format
    from heat.engine import environment
    from heat.engine import stack as heat_stack
    from heat.engine import template

    try:
        tmpl = template.Template(template_format.parse(_read(path)))
        env_dict = {'parameters': {}, 'parameter_defaults': {},
                    'resource_registry': {}}
        files = dict((name, _read(name)) for name in env_files)
        environment_util.merge_environments(
            list(env_files), files, env_dict, tmpl.all_param_schemata(files))
        env_dict['parameters'].update(params or {})
        env = environment.Environment(env_dict)
        tmpl = template.Template(tmpl.t, env=env, files=files)
        return heat_stack.Stack(context.RequestContext(), 'validate', tmpl)
    except TemplateError:
        raise
    except Exception as exc:
        raise TemplateError(_('%(path)s: %(exc)s') % {'path': path,
                                                      'exc': exc})


def _image_maps(res):
    """``(maps, first_class)`` of an image resource, or None."""
    from heat.engine.resources.openstack.glance import image as heat_image

    from heat_glance_props.resources import image

    if isinstance(res, image.GlanceImage):
        names = (image.GlanceImage.IMAGE_PROPERTIES,
                 image.GlanceImage.EXTRA_PROPERTIES)
    elif isinstance(res, heat_image.GlanceWebImage):
        names = (heat_image.GlanceWebImage.EXTRA_PROPERTIES,)
    else:
        return None
    maps = [(name, res.properties[name]) for name in names]
    return maps, image.GlanceImage.FREE_PROPERTIES


def check_stack(stk, mode=catalog.STRICT, catalog_files=()):
    """Check every image resource of a stack, in resource name order.

    :returns: ``(reports, names)``: a list of :class:`Report` and the
        names of the image resources checked.
    """
    reports = []
    checked = []
    for name in sorted(stk.resources):
        res = stk.resources[name]
        try:
            found = _image_maps(res)
        except Exception as exc:
            checked.append(name)
            reports.append(Report(name, res.type(), ERROR, catalog.Finding(
                None, None, _('cannot resolve the property maps: %s') %
                exc)))
            continue
        if found is None:
            continue
        checked.append(name)
        maps, first_class = found
        review = catalog.review(maps, first_class, mode, catalog_files)
        reports.extend(Report(name, res.type(), ERROR, f)
                       for f in review.errors)
        reports.extend(Report(name, res.type(), WARNING, f)
                       for f in review.warnings)
    return reports, checked


def check_template(path, env_files=(), params=None, mode=None,
                   catalog_files=(), config_files=()):
    """Check a template file; returns what :func:`check_stack` returns.

    :param mode: the catalog mode; by default the ``catalog_mode`` of the
        configuration (``strict`` without a config file).
    :param catalog_files: catalog files used after those the
        configuration names.
    :raises TemplateError: if a file cannot be read or parsed.
    :raises heat_glance_props.catalog.CatalogError: for a bad catalog file.
    """
    setup_heat(config_files)
    conf_mode, conf_files = opts.settings(cfg.CONF)
    stk = build_stack(path, env_files, params)
    return check_stack(stk, mode or conf_mode,
                       list(conf_files) + list(catalog_files))
