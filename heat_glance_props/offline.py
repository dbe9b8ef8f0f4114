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
``validate()`` applies. (Heat's WebImage does not apply them: for it
their findings are warnings, and the verdict is Heat's.) Heat must be
installed (it is wherever heat-engine runs); nothing talks to Keystone,
Glance or a database.
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
from heat_glance_props import paths
from heat_glance_props import templatefiles

Report = collections.namedtuple('Report', ['resource', 'type', 'level',
                                           'finding', 'source'])
Report.__doc__ = """One finding about one resource of a template.

``source`` is what the finding comes from (one of :data:`SOURCES`).
"""

LEVELS = (ERROR, WARNING, SKIPPED) = ('error', 'warning', 'skipped')

#: Where a finding comes from: Heat's own checks of the template and of
#: the resource (Heat's message); the keys and values Glance refuses; the
#: image property catalog; the values Nova cuts; the data at an image's
#: location (--check-locations); a parameter without a value, which
#: leaves a value unchecked.
SOURCES = (HEAT, GLANCE, CATALOG, NOVA, LOCATION, PARAMETERS) = (
    'heat', 'glance', 'catalog', 'nova', 'location', 'parameters')

TemplateError = templatefiles.TemplateError

#: The project of the stacks built offline (no Keystone says one).
OFFLINE_PROJECT = 'offline'

_READY = []


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

    opts.register_opts(cfg.CONF)
    if resources._environment is not None:
        # Already inside a configured Heat (heat-engine, or tests).
        _READY.append(True)
        return
    # Heat announces every hidden resource type and the plugin's override
    # at WARNING; none of that concerns a template check.
    logging.getLogger('heat').setLevel(logging.ERROR)
    # The resource logs the catalog's warnings; validate prints them.
    logging.getLogger('heat_glance_props.resources').setLevel(logging.ERROR)

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
    cfg.CONF.set_override('plugin_dirs', [paths.plugin_dir()])
    resources.initialise()
    _skip_custom_constraints()
    _READY.append(True)


class _Skipped(object):
    """Stands for a custom constraint that needs a cloud, and notes it."""

    def __init__(self, name):
        self.name = name

    def validate(self, value, context):
        _SKIPPED.append((self.name, value))
        return True


_SKIPPED = []


def _skip_custom_constraints():
    """Make Heat's custom constraints pass, noting each one used.

    A custom constraint (``glance.image``, ``nova.flavor``, ...) asks a
    cloud whether a value exists; offline there is none. Only in a
    process that :func:`setup_heat` configured, never in heat-engine.
    """
    from heat.engine import resources

    env = resources.global_env()
    for name in list(env.constraints):
        env.constraints[name] = (lambda n: lambda: _Skipped(n))(name)


def _heat_error(exc):
    """Heat's own message for an exception of its template code."""
    text = str(exc)
    return text or exc.__class__.__name__


def build_stack(path, env_files=(), params=None, shared=False):
    """A Heat Stack object for a template file (never stored or created).

    :param shared: the parameters (``params`` and those of the
        environment files) are shared by several templates: give this one
        only those it declares. (Heat refuses a parameter that the
        template does not declare.)

    :raises TemplateError: if a file cannot be read, or Heat refuses the
        template, its version or an environment file (Heat's message).
    """
    from heat.common import context
    from heat.common import environment_util
    from heat.common import template_format
    from heat.engine import environment
    from heat.engine import stack as heat_stack
    from heat.engine import template

    text = templatefiles.read(path)
    try:
        tmpl = template.Template(template_format.parse(text))
        env_dict = {'parameters': {}, 'parameter_defaults': {},
                    'resource_registry': {}}
        files = templatefiles.local_files(path, template_format.parse(text))
        templatefiles.environment_files(env_files, files)
        environment_util.merge_environments(
            list(env_files), files, env_dict, tmpl.all_param_schemata(files))
        env_dict['parameters'].update(params or {})
        if shared:
            declared = tmpl.param_schemata()
            env_dict['parameters'] = dict(
                (k, v) for k, v in env_dict['parameters'].items()
                if k in declared)
        env = environment.Environment(env_dict)
        tmpl = template.Template(tmpl.t, env=env, files=files)
        # A project id, as heat-engine's stacks always have: the pseudo
        # parameters of a CFN template (AWS::StackId) are built from it.
        ctx = context.RequestContext(project_id=OFFLINE_PROJECT)
        return heat_stack.Stack(ctx, 'validate', tmpl)
    except TemplateError:
        raise
    except Exception as exc:
        raise TemplateError(_heat_error(exc))


def _map_names(res):
    """The names of the free-property maps of an image resource, or ()."""
    from heat.engine.resources.openstack.glance import image as heat_image

    from heat_glance_props.resources import image

    if isinstance(res, image.GlanceImage):
        return (image.GlanceImage.IMAGE_PROPERTIES,
                image.GlanceImage.EXTRA_PROPERTIES)
    if isinstance(res, heat_image.GlanceWebImage):
        return (heat_image.GlanceWebImage.EXTRA_PROPERTIES,)
    return ()


def _engine_checks_maps(res):
    """Whether heat-engine applies the rules of the maps to a resource.

    The plugin's ``OS::Glance::Image`` refuses what the rules refuse.
    Heat's own ``OS::Glance::WebImage`` checks nothing in its
    ``extra_properties`` and sends them to Glance as they are: there the
    findings of the rules are warnings, and the verdict is Heat's.
    """
    from heat_glance_props.resources import image

    return isinstance(res, image.GlanceImage)


def _free_names(res):
    """The properties of an image resource that Glance stores as keys.

    The maps, and the first-class properties (``os_distro``, ...): a value
    of them that needs a parameter without a value reads as not set.
    """
    from heat_glance_props.glance import plan

    names = _map_names(res)
    return names + plan.FREE_PROPERTIES if names else ()


def _image_maps(res):
    """``(maps, first_class)`` of an image resource, or None.

    A map whose whole value needs a parameter without a value reads as
    None (the reports of :func:`validate_stack` say it is not checked); so
    does a first-class property.
    """
    from heat_glance_props.glance import plan
    from heat_glance_props import unset

    names = _map_names(res)
    if not names:
        return None
    maps = []
    for name in names:
        try:
            maps.append((name, res.properties[name]))
        except unset.UnsetValue:
            maps.append((name, None))
    return maps, plan.first_class(res.properties)


def _error(resource, rtype, message, level=ERROR, source=HEAT):
    return Report(resource, rtype, level,
                  catalog.Finding(None, None, str(message)), source)


def _skipped_reports(resource, rtype):
    reports = []
    for name, value in sorted(set((n, str(v)) for n, v in _SKIPPED)):
        reports.append(_error(resource, rtype, _(
            "not checked: custom constraint %(name)s (value '%(value)s') "
            "needs a cloud") % {'name': name, 'value': value}, SKIPPED))
    del _SKIPPED[:]
    return reports


def _params_text(params):
    names = ', '.join("'%s'" % p for p in params)
    if len(params) == 1:
        return _('parameter %s, which has no value') % names
    return _('parameters %s, which have no value') % names


def _left_out_reports(res, left_out):
    """Reports of the values of a resource that are not checked."""
    reports = []
    for key, map_key, params in left_out:
        args = {'key': key, 'map_key': map_key,
                'params': _params_text(params)}
        if map_key is None:
            finding = catalog.Finding(None, key, _(
                "not checked: property '%(key)s' needs %(params)s") % args)
        else:
            finding = catalog.Finding(key, map_key, _(
                "not checked: key '%(map_key)s' in '%(key)s' needs "
                "%(params)s") % args)
        reports.append(Report(res.name, res.type(), SKIPPED, finding,
                              PARAMETERS))
    return reports


def validate_stack(stk, require_parameters=False):
    """What heat-engine refuses in a stack without asking a cloud.

    Heat's own checks, in the order of ``Stack.validate``: the template's
    sections, the parameters, parameter groups, conditions, the resource
    definitions, then each resource's definition and properties as
    ``Resource.validate_template`` checks them (a property of the wrong
    type, unknown, or missing), and the outputs. Unlike heat-engine, the
    check goes on after a resource is refused, so that every resource is
    reported. What needs a cloud is not checked: the availability of the
    resource type's service, and custom constraints, which are reported
    with level ``skipped``.

    A parameter without a value is not an error, as in Heat's template
    validation (``openstack orchestration template validate``): the
    values that need it are left out of the resource (see
    :func:`heat_glance_props.unset.leave_out`) and reported with level
    ``skipped``; every other value is checked as heat-engine checks it
    for a stack create.

    :param require_parameters: as heat-engine's stack create: a
        parameter without a value is an error.
    :returns: ``(reports, usable)``: the list of :class:`Report` and
        whether the resources could be built at all.
    """
    from heat.engine import parameter_groups

    from heat_glance_props import unset

    reports = []
    del _SKIPPED[:]
    try:
        stk.t.validate()
        unset.validate_parameters(stk, require_parameters)
        parameter_groups.ParameterGroups(stk.t).validate()
        stk.t.conditions(stk).validate()
        resources = stk.resources
        # As Stack.validate: the attribute values of resources that do not
        # exist yet (get_attr) resolve to None instead of failing.
        stk._update_all_resource_data(for_resources=True, for_outputs=True)
    except Exception as exc:
        return [_error(None, None, _heat_error(exc))], False
    reports.extend(_skipped_reports(None, None))
    dup = sorted(set(stk.parameters) & set(resources))
    if dup:
        reports.append(_error(None, None, _('Duplicate names %s') % dup))
    missing = (frozenset() if require_parameters
               else unset.unset_parameters(stk))
    for name in sorted(resources):
        res = resources[name]
        reports.extend(_left_out_reports(res, unset.leave_out(
            res, missing, _free_names(res))))
        # Heat's validate_template, less the one step that asks the cloud
        # whether the service of the resource type is there.
        res._validate_service_availability = _no_service_check
        try:
            res.validate_template()
        except Exception as exc:
            reports.append(_error(name, res.type(), _heat_error(exc)))
        reports.extend(_skipped_reports(name, res.type()))
    for op_name in sorted(stk.outputs):
        try:
            stk.outputs[op_name].validate()
        except Exception as exc:
            reports.append(_error(None, None, _('Output %(name)s: %(exc)s')
                                  % {'name': op_name,
                                     'exc': _heat_error(exc)}))
    del _SKIPPED[:]
    return reports, True


def _no_service_check(context, resource_type):
    """Offline, no service catalog says whether a service is there."""


#: How deep nested templates are followed (heat.conf's default
#: max_nested_stack_depth).
MAX_DEPTH = 5


def _nested_stack(res):
    """The nested stack of a template resource, built as Heat builds it."""
    from heat.engine.resources import template_resource

    if not isinstance(res, template_resource.TemplateResource):
        return None
    return res._parse_nested_stack('validate-%s' % res.name,
                                   res.child_template(), res.child_params())


def _nested_reports(res, options, depth):
    """Reports and image names of a nested template, under ``res/``."""
    if depth >= MAX_DEPTH:
        return [], []
    try:
        nested = _nested_stack(res)
    except Exception as exc:
        return [_error(res.name, res.type(), _heat_error(exc))], []
    if nested is None:
        return [], []
    reports, checked = check_stack(nested, _depth=depth + 1, **options)
    prefix = res.name + '/'
    return ([r._replace(resource=prefix + (r.resource or '-'))
             for r in reports], [prefix + n for n in checked])


def check_stack(stk, mode=catalog.STRICT, catalog_files=(),
                heat_checks=True, location_check=None,
                require_parameters=False, _depth=0):
    """Check a stack: Heat's own checks, then every image resource.

    :param heat_checks: run :func:`validate_stack` first.
    :param require_parameters: see :func:`validate_stack`.
    :param location_check: None, or a function ``(location, disk_format)``
        returning a list of messages (errors) about the image data at
        ``location``; see :mod:`heat_glance_props.precheck`.
    :returns: ``(reports, names)``: a list of :class:`Report` and the
        names of the image resources checked. Template-wide reports have
        the resource None; every report of one resource comes after the
        template-wide ones, in resource name order. The resources of a
        nested template (a resource whose type is a template file) are
        checked with the parameters the resource gives it, and named
        ``RESOURCE/NESTED_RESOURCE``.
    """
    options = dict(mode=mode, catalog_files=catalog_files,
                   heat_checks=heat_checks, location_check=location_check,
                   require_parameters=require_parameters)
    reports = []
    refused = set()
    if heat_checks:
        heat_reports, usable = validate_stack(stk, require_parameters)
        if not usable:
            return heat_reports, []
        reports.extend(r for r in heat_reports if r.resource is None)
        refused = set(r.resource for r in heat_reports
                      if r.level == ERROR)
        by_resource = collections.defaultdict(list)
        for r in heat_reports:
            if r.resource is not None:
                by_resource[r.resource].append(r)
    else:
        by_resource = collections.defaultdict(list)
    checked = []
    for name in sorted(stk.resources):
        res = stk.resources[name]
        reports.extend(by_resource.get(name, []))
        if name not in refused:
            more, names = _nested_reports(res, options, _depth)
            reports.extend(more)
            checked.extend(names)
        try:
            found = _image_maps(res)
        except Exception as exc:
            checked.append(name)
            if name not in refused:
                reports.append(_error(name, res.type(), _(
                    'cannot resolve the property maps: %s') % exc))
            continue
        if found is None:
            continue
        checked.append(name)
        maps, first_class = found
        reports.extend(_review_reports(res, maps, first_class, mode,
                                       catalog_files,
                                       _engine_checks_maps(res)))
        if heat_checks and name not in refused:
            reports.extend(_engine_validate(res, maps, first_class))
        if location_check is not None and name not in refused:
            reports.extend(_location_reports(res, location_check))
    return reports, checked


def _review_reports(res, maps, first_class, mode, catalog_files,
                    refused=True):
    """The findings of :func:`heat_glance_props.catalog.review`.

    Each with its source: the rules of keys and values Glance refuses,
    the values Nova cuts, or else the catalog.

    :param refused: whether heat-engine refuses the errors of the review
        (see :func:`_engine_checks_maps`); if not, they are warnings.
    """
    from heat_glance_props import imageprops

    review = catalog.review(maps, first_class, mode, catalog_files)
    glance = set((k, str(m))
                 for k, m in imageprops.find_problems(maps, first_class))
    nova = set((f.key, f.message) for f in catalog.nova_view(maps))

    def report(level, finding):
        if (finding.key, finding.message) in glance:
            source = GLANCE
        elif (finding.key, finding.message) in nova:
            source = NOVA
        else:
            source = CATALOG
        return Report(res.name, res.type(), level, finding, source)

    return ([report(ERROR if refused else WARNING, f)
             for f in review.errors] +
            [report(WARNING, f) for f in review.warnings])


def _engine_validate(res, maps, first_class):
    """What the resource's own ``validate()`` refuses beyond the review.

    The image resource's ``validate()`` (Heat's checks of the disk and
    container formats and of members, the plugin's check of ``is_public``
    against ``visibility``) runs as in heat-engine, with the catalog
    settings of the configuration. Its refusal of the property maps is
    what :func:`heat_glance_props.catalog.review` already reported, and is
    left out. A check that needs a value of a parameter without a value
    stops there, and is reported as not checked.
    """
    from heat_glance_props import unset

    try:
        res.validate()
    except unset.UnsetValue as exc:
        return [_error(res.name, res.type(), _(
            "not checked: the rest of the resource's own validation, which "
            "reads property '%(key)s' (it needs %(params)s)") % {
                'key': exc.key, 'params': _params_text(exc.params)},
            SKIPPED, PARAMETERS)]
    except Exception as exc:
        text = _heat_error(exc)
    else:
        return []
    try:
        mode, files = opts.settings(cfg.CONF)
        review = catalog.review(maps, first_class, mode, files)
        ours = 'Resource "%s": %s' % (
            res.name, '; '.join(f.message for f in review.errors))
    except catalog.CatalogError as exc:
        ours = 'Resource "%s": %s' % (res.name, exc)
    if text == ours or text.endswith(': ' + ours):
        return []
    return [_error(res.name, res.type(), text)]


def _location_reports(res, location_check):
    try:
        location = res.properties['location']
        disk_format = res.properties['disk_format']
    except Exception:
        return []
    if not location or not disk_format:
        return []
    return [Report(res.name, res.type(), level,
                   catalog.Finding(None, 'location', message), LOCATION)
            for level, message in location_check(location, disk_format)]


def check_template(path, env_files=(), params=None, mode=None,
                   catalog_files=(), config_files=(), heat_checks=True,
                   location_check=None, shared=False,
                   require_parameters=False):
    """Check a template file; returns what :func:`check_stack` returns.

    :param mode: the catalog mode; by default the ``catalog_mode`` of the
        configuration (``strict`` without a config file).
    :param catalog_files: catalog files used after those the
        configuration names.
    :param shared: see :func:`build_stack`.
    :param require_parameters: see :func:`validate_stack`.
    :raises TemplateError: if a file cannot be read, or Heat refuses the
        template as a whole (its format, its version, an environment
        file), with Heat's message.
    :raises heat_glance_props.catalog.CatalogError: for a bad catalog file.
    """
    setup_heat(config_files)
    conf_mode, conf_files = opts.settings(cfg.CONF)
    stk = build_stack(path, env_files, params, shared)
    return check_stack(stk, mode or conf_mode,
                       list(conf_files) + list(catalog_files),
                       heat_checks=heat_checks,
                       location_check=location_check,
                       require_parameters=require_parameters)
