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
import urllib.parse
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
SKIPPED = 'skipped'

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
    cfg.CONF.set_override('plugin_dirs', [cli.plugin_dir()])
    resources.initialise()
    _skip_custom_constraints()
    _READY.append(True)


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as exc:
        raise TemplateError(_('cannot read %(path)s: %(exc)s') % {
            'path': path, 'exc': exc.strerror or exc})


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


#: The resource types Heat takes for the name of a nested template.
NESTED_SUFFIXES = ('.yaml', '.template')


def _is_local(name):
    return (isinstance(name, str) and
            urllib.parse.urlsplit(name).scheme in ('', 'file'))


def local_files(path, tmpl, files=None, _seen=None):
    """The local files a template names, as the openstack command sends.

    Nested templates (a resource ``type`` ending in .yaml or .template)
    and ``get_file`` arguments, relative to the template's directory,
    recursively, as ``openstack stack create`` reads them. Keys are the
    names as the template writes them, which is how Heat looks them up.
    """
    files = {} if files is None else files
    seen = set() if _seen is None else _seen
    base = os.path.dirname(os.path.abspath(path))
    names = []

    def walk(node):
        if isinstance(node, dict):
            if len(node) == 1 and 'get_file' in node:
                names.append((node['get_file'], False))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tmpl)
    for res in ((tmpl or {}).get('resources') or {}).values():
        rtype = res.get('type') if isinstance(res, dict) else None
        if isinstance(rtype, str) and rtype.endswith(NESTED_SUFFIXES):
            names.append((rtype, True))
    for name, nested in names:
        if not _is_local(name) or name in files:
            continue
        full = os.path.join(base, urllib.parse.urlsplit(name).path)
        if full in seen:
            continue
        seen.add(full)
        try:
            files[name] = _read(full)
        except TemplateError:
            continue  # Heat reports the file it cannot fetch
        if nested:
            import yaml

            try:
                child = yaml.safe_load(files[name])
            except yaml.YAMLError:
                continue
            if isinstance(child, dict):
                local_files(full, child, files, seen)
    return files


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

    text = _read(path)
    try:
        tmpl = template.Template(template_format.parse(text))
        env_dict = {'parameters': {}, 'parameter_defaults': {},
                    'resource_registry': {}}
        files = local_files(path, template_format.parse(text))
        files.update((name, _read(name)) for name in env_files)
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
        return heat_stack.Stack(context.RequestContext(), 'validate', tmpl)
    except TemplateError:
        raise
    except Exception as exc:
        raise TemplateError(_heat_error(exc))


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


def _error(resource, rtype, message, level=ERROR):
    return Report(resource, rtype, level,
                  catalog.Finding(None, None, str(message)))


def _skipped_reports(resource, rtype):
    reports = []
    for name, value in sorted(set((n, str(v)) for n, v in _SKIPPED)):
        reports.append(_error(resource, rtype, _(
            "not checked: custom constraint %(name)s (value '%(value)s') "
            "needs a cloud") % {'name': name, 'value': value}, SKIPPED))
    del _SKIPPED[:]
    return reports


def validate_stack(stk):
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

    :returns: ``(reports, usable)``: the list of :class:`Report` and
        whether the resources could be built at all.
    """
    from heat.engine import parameter_groups

    reports = []
    del _SKIPPED[:]
    try:
        stk.t.validate()
        stk.parameters.validate(context=stk.context, validate_value=True)
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
    for name in sorted(resources):
        res = resources[name]
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


def _nested_reports(res, mode, catalog_files, heat_checks, location_check,
                    depth):
    """Reports and image names of a nested template, under ``res/``."""
    if depth >= MAX_DEPTH:
        return [], []
    try:
        nested = _nested_stack(res)
    except Exception as exc:
        return [_error(res.name, res.type(), _heat_error(exc))], []
    if nested is None:
        return [], []
    reports, checked = check_stack(nested, mode, catalog_files, heat_checks,
                                   location_check, _depth=depth + 1)
    prefix = res.name + '/'
    return ([r._replace(resource=prefix + (r.resource or '-'))
             for r in reports], [prefix + n for n in checked])


def check_stack(stk, mode=catalog.STRICT, catalog_files=(),
                heat_checks=True, location_check=None, _depth=0):
    """Check a stack: Heat's own checks, then every image resource.

    :param heat_checks: run :func:`validate_stack` first.
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
    reports = []
    refused = set()
    if heat_checks:
        heat_reports, usable = validate_stack(stk)
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
            more, names = _nested_reports(res, mode, catalog_files,
                                          heat_checks, location_check,
                                          _depth)
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
        review = catalog.review(maps, first_class, mode, catalog_files)
        reports.extend(Report(name, res.type(), ERROR, f)
                       for f in review.errors)
        reports.extend(Report(name, res.type(), WARNING, f)
                       for f in review.warnings)
        if heat_checks and name not in refused:
            reports.extend(_engine_validate(res, maps, first_class))
        if location_check is not None and name not in refused:
            reports.extend(_location_reports(res, location_check))
    return reports, checked


def _engine_validate(res, maps, first_class):
    """What the resource's own ``validate()`` refuses beyond the review.

    The image resource's ``validate()`` (Heat's checks of the disk and
    container formats and of members, the plugin's check of ``is_public``
    against ``visibility``) runs as in heat-engine, with the catalog
    settings of the configuration. Its refusal of the property maps is
    what :func:`heat_glance_props.catalog.review` already reported, and is
    left out.
    """
    try:
        res.validate()
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
                   catalog.Finding(None, 'location', message))
            for level, message in location_check(location, disk_format)]


def check_template(path, env_files=(), params=None, mode=None,
                   catalog_files=(), config_files=(), heat_checks=True,
                   location_check=None, shared=False):
    """Check a template file; returns what :func:`check_stack` returns.

    :param mode: the catalog mode; by default the ``catalog_mode`` of the
        configuration (``strict`` without a config file).
    :param catalog_files: catalog files used after those the
        configuration names.
    :param shared: see :func:`build_stack`.
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
                       location_check=location_check)


#: The names of files a directory is searched for templates by.
TEMPLATE_SUFFIXES = ('.yaml', '.yml', '.template', '.json')

_VERSION_KEYS = ('heat_template_version', 'HeatTemplateFormatVersion',
                 'AWSTemplateFormatVersion')


def is_template(path):
    """Whether a file found in a directory looks like a Heat template.

    Environment files and other YAML in a template directory are not
    templates: only a file whose top-level map names a template version
    is.
    """
    import yaml

    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except Exception:
        # Not readable as YAML: a template with a syntax error should
        # still be reported, if its text names a version.
        try:
            with open(path, errors='replace') as f:
                text = f.read()
        except OSError:
            return False
        return any(key in text for key in _VERSION_KEYS)
    return isinstance(data, dict) and any(k in data for k in _VERSION_KEYS)


def find_templates(paths):
    """The template files named by ``paths``, directories walked.

    A file named directly is always a template; in a directory, every
    file with a :data:`TEMPLATE_SUFFIXES` name that :func:`is_template`
    accepts, in sorted order, below hidden directories excluded.
    """
    found = []
    for path in paths:
        if not os.path.isdir(path):
            found.append(path)
            continue
        for top, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
            for name in sorted(files):
                full = os.path.join(top, name)
                if name.endswith(TEMPLATE_SUFFIXES) and is_template(full):
                    found.append(full)
    return found
