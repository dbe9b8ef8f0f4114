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

"""The heat-glance-props command."""

import argparse
import json
import logging
import os
import sys
import urllib.parse

import yaml

from heat_glance_props._i18n import _
from heat_glance_props import catalog
from heat_glance_props import paths
from heat_glance_props import templatefiles


#: Defaults of --max-bytes and --timeout (those of the precheck module).
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_TIMEOUT = 30


def _plugin_dir(args):
    print(paths.plugin_dir())
    return 0


def _error(message):
    sys.stderr.write('heat-glance-props: %s\n' % message)


def _parameter(text):
    key, sep, value = text.partition('=')
    if not sep or not key:
        raise argparse.ArgumentTypeError(
            _('expected KEY=VALUE, got %r') % text)
    return key, value


def _validate(args):
    from heat_glance_props import offline

    location_check = None
    if args.check_locations:
        from heat_glance_props import precheck

        from heat_glance_props import opts

        # The user's own request reads any URL; --filter-locations applies
        # heat-engine's URL filter (from --config-file, or its defaults).
        location_check = precheck.LocationCheck(
            max_bytes=args.max_bytes, timeout=args.timeout,
            url_filter=opts.location_filter(opts.load(args.config_file))
            if args.filter_locations else None)
    out = _JsonOutput() if args.format == 'json' else _TextOutput()
    templates = templatefiles.find_templates(args.template)
    if not templates:
        return out.fatal(_('no template found in %s') %
                         ', '.join(args.template), offline.HEAT)
    # Parameters shared by several templates go to those that declare
    # them.
    shared = len(templates) > 1 or any(os.path.isdir(p)
                                       for p in args.template)
    for path in templates:
        try:
            reports, checked = offline.check_template(
                path, env_files=args.environment,
                params=dict(args.parameter), mode=args.mode,
                catalog_files=args.catalog, config_files=args.config_file,
                location_check=location_check, shared=shared,
                require_parameters=args.require_parameters)
        except offline.TemplateError as exc:
            reports = [offline.Report(None, None, offline.ERROR,
                                      catalog.Finding(None, None, str(exc)),
                                      offline.HEAT)]
            checked = []
        except catalog.CatalogError as exc:
            # A bad catalog file: the same for every template.
            return out.fatal(exc, offline.CATALOG)
        out.template(path, reports, checked)
    return out.end()


def _finding(path, report):
    """One finding as the JSON output of validate gives it."""
    return {'file': path, 'resource': report.resource,
            'type': report.type, 'map': report.finding.map,
            'key': report.finding.key, 'level': report.level,
            'source': report.source, 'message': report.finding.message}


class _Output(object):
    """What validate prints, template by template."""

    def __init__(self):
        self.templates = []
        self.findings = []

    def template(self, path, reports, checked):
        counts = dict.fromkeys(('error', 'warning', 'skipped'), 0)
        for report in reports:
            counts[report.level] += 1
        self.templates.append(dict(file=path, images=list(checked),
                                   errors=counts['error'],
                                   warnings=counts['warning'],
                                   skipped=counts['skipped']))
        self.findings.extend(_finding(path, r) for r in reports)
        return counts

    def failed(self):
        return sum(1 for t in self.templates if t['errors'])


class _TextOutput(_Output):
    """One line a finding: FILE: RESOURCE: KEY: LEVEL: MESSAGE."""

    def template(self, path, reports, checked):
        counts = super(_TextOutput, self).template(path, reports, checked)
        for report in reports:
            key = report.finding.key
            print('%(file)s: %(resource)s: %(key)s: %(level)s: %(msg)s' % {
                'file': path,
                'resource': report.resource if report.resource else '-',
                'key': key if key is not None else '-',
                'level': report.level, 'msg': report.finding.message})
        if not counts['error'] and not counts['warning']:
            print(_('%(file)s: OK, %(count)d image resource(s) checked') % {
                'file': path, 'count': len(checked)})
        else:
            sys.stderr.write(_('%(file)s: %(errors)d error(s), '
                               '%(warnings)d warning(s) in %(count)d image '
                               'resource(s)\n') % {
                'file': path, 'errors': counts['error'],
                'warnings': counts['warning'], 'count': len(checked)})

    def fatal(self, message, source):
        _error(message)
        return 1

    def end(self):
        if len(self.templates) > 1:
            sys.stderr.write(_('%(count)d template(s) checked, %(failed)d '
                               'with errors\n') % {
                'count': len(self.templates), 'failed': self.failed()})
        return 1 if self.failed() else 0


class _JsonOutput(_Output):
    """One JSON document on stdout, once every template is checked."""

    def fatal(self, message, source):
        self.findings.append({'file': None, 'resource': None, 'type': None,
                              'map': None, 'key': None, 'level': 'error',
                              'source': source, 'message': str(message)})
        self.end()
        return 1

    def end(self):
        levels = [f['level'] for f in self.findings]
        doc = {'templates': self.templates,
               'findings': self.findings,
               'summary': {'templates': len(self.templates),
                           'with_errors': self.failed(),
                           'errors': levels.count('error'),
                           'warnings': levels.count('warning'),
                           'skipped': levels.count('skipped')}}
        print(json.dumps(doc, indent=2))
        return 1 if 'error' in levels else 0


def _introspect(args):
    from heat_glance_props import introspect

    # The inspector logs what it refuses; the reason is printed below.
    logging.getLogger('oslo_utils.imageutils').setLevel(logging.CRITICAL)
    try:
        result = introspect.inspect(
            args.image,
            max_bytes=args.max_bytes or introspect.MAX_BYTES,
            timeout=args.timeout or introspect.TIMEOUT)
    except introspect.UnsafeImage as exc:
        _error(_('refusing %(path)s: %(reasons)s') % {
            'path': args.image, 'reasons': '; '.join(exc.reasons)})
        return 1
    except introspect.ImageError as exc:
        _error(exc)
        return 1
    snippet = introspect.template_snippet(result)
    if args.format == 'json':
        print(json.dumps(snippet, indent=2))
        for note in result.notes:
            _error(_('note: %s') % note)
        return 0
    fmt = result.disk_format
    if result.format_detail:
        fmt = '%s (%s)' % (fmt, result.format_detail)
    print(_('# %(file)s: %(format)s, virtual size %(size)s bytes') % {
        'file': os.path.basename(urllib.parse.urlsplit(args.image).path)
        or args.image, 'format': fmt,
        'size': result.virtual_size if result.virtual_size else '?'})
    for note in result.notes:
        print(_('# note: %s') % note)
    print(yaml.safe_dump(dict(snippet), default_flow_style=False,
                         sort_keys=False).rstrip())
    return 0


def _stale_servers(args):
    from heat_glance_props import staleprops

    if not args.image and not args.stack:
        _error(_('name an image (ID or name) or a stack (--stack)'))
        return 2
    try:
        import openstack
        from openstack import exceptions as sdk_exc

        try:
            conn = openstack.connect(cloud=args.os_cloud,
                                     region_name=args.os_region_name)
            reports = staleprops.find_stale(
                conn, image_ids=args.image, stacks=args.stack,
                all_projects=args.all_projects)
        except sdk_exc.ConfigException as exc:
            _error(_('cannot connect to the cloud: %s') % exc)
            return 1
    except staleprops.Error as exc:
        _error(exc)
        return exc.exit_status
    except Exception as exc:  # keystoneauth: bad credentials, no Keystone
        _error(_('%(type)s: %(exc)s') % {
            'type': type(exc).__name__, 'exc': exc})
        return 1
    stale = [s for r in reports for s in r.servers if s.differences]
    if args.format == 'json':
        print(json.dumps([staleprops.as_dict(r) for r in reports],
                         indent=2))
    else:
        for line in staleprops.text_lines(reports):
            print(line)
    return staleprops.EXIT_STALE if stale else 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog='heat-glance-props',
        description=_('Tools for the heat-glance-props Heat plugin, which '
                      'provides OS::Glance::Image with in-place image '
                      'properties.'))
    commands = parser.add_subparsers(dest='command', metavar='COMMAND')
    commands.required = True

    cmd = commands.add_parser(
        'plugin-dir',
        help=_('print the directory to add to plugin_dirs in heat.conf'),
        description=_('Print the absolute path of the directory that '
                      'heat-engine must load (the plugin_dirs option in '
                      'the [DEFAULT] section of heat.conf).'))
    cmd.set_defaults(func=_plugin_dir)

    cmd = commands.add_parser(
        'validate',
        help=_('check the image properties of a template, offline'),
        description=_('Check every OS::Glance::Image "properties" and '
                      '"extra_properties" map (and every '
                      'OS::Glance::WebImage "extra_properties" map) of a '
                      'HOT template with the rules the resource applies '
                      'when a stack is validated: the keys Glance refuses, '
                      'and the image property catalog. Parameters and '
                      'environment files are resolved with Heat\'s own '
                      'template code; nothing talks to a cloud. First '
                      'come the checks heat-engine itself makes without '
                      'a cloud (template version and sections, '
                      'parameters, resource types, unknown, mistyped or '
                      'missing properties), with Heat\'s messages; custom '
                      'constraints, which need a cloud, are reported as '
                      'skipped. As "openstack orchestration template '
                      'validate", a parameter without a value is not an '
                      'error: the values that need it are reported as '
                      'skipped (not checked), every other value is '
                      'checked; --require-parameters makes it an error, '
                      'as a stack create does. Resource types that the '
                      'environment maps to local template files are '
                      'checked in those templates. Every finding of every '
                      'template is reported in one run, one line each '
                      '(FILE: RESOURCE: KEY: LEVEL: MESSAGE), or as one '
                      'JSON document with --format json; exits with '
                      'status 1 if there is an error.'))
    cmd.add_argument('template', metavar='TEMPLATE', nargs='+',
                     help=_('a HOT template file, or a directory to '
                            'search for templates (files whose top-level '
                            'map names a template version); repeatable'))
    cmd.add_argument('-e', '--environment', metavar='ENV', action='append',
                     default=[],
                     help=_('an environment file (repeatable; later files '
                            'win)'))
    cmd.add_argument('-P', '--parameter', metavar='KEY=VALUE',
                     action='append', default=[], type=_parameter,
                     help=_('a template parameter (repeatable; wins over '
                            'the environment files). With several '
                            'templates, the parameters of -P and of the '
                            'environment files go to the templates that '
                            'declare them'))
    cmd.add_argument('--require-parameters', action='store_true',
                     help=_('a parameter without a value (none given '
                            'with -P or -e, no default) is an error, as '
                            'heat-engine refuses such a stack create; by '
                            'default it is not, and the values that need '
                            'it are reported as not checked'))
    cmd.add_argument('--format', choices=('text', 'json'), default='text',
                     help=_('text: one line a finding, for people (the '
                            'default); json: one JSON document with every '
                            'finding of every template (file, resource, '
                            'type, map, key, level, source, message), for '
                            'CI jobs and editors'))
    cmd.add_argument('--catalog', metavar='FILE', action='append',
                     default=[],
                     help=_('an extra catalog file (YAML or JSON), like '
                            'the catalog_files option (repeatable)'))
    cmd.add_argument('--mode', choices=catalog.MODES,
                     help=_('what to do with catalog findings: strict '
                            '(errors, the default), warn (warnings) or '
                            'off; overrides catalog_mode'))
    cmd.add_argument('--config-file', metavar='HEAT_CONF', action='append',
                     default=[],
                     help=_('read catalog_mode and catalog_files (and, '
                            'for --filter-locations, the URL filter) from '
                            'the [glance_properties] group of this '
                            'heat.conf (repeatable)'))
    cmd.add_argument('--check-locations', action='store_true',
                     help=_('read the start of the data at each image\'s '
                            'location (HTTP range requests; this needs the '
                            'network) and report an error when it is not '
                            'of the image\'s disk_format'))
    cmd.add_argument('--filter-locations', action='store_true',
                     help=_('with --check-locations: read only where '
                            'heat-engine\'s location check may (the URL '
                            'filter options of the [glance_properties] '
                            'group of --config-file, or their defaults); '
                            'a location it may not read is a warning. '
                            'Without it, any URL the template names is '
                            'read: use it for templates you did not '
                            'write'))
    cmd.add_argument('--max-bytes', metavar='BYTES', type=int,
                     default=None,
                     help=_('with --check-locations or for introspect '
                            'URL: read at most this many bytes of an image '
                            '(default: %d)') % DEFAULT_MAX_BYTES)
    cmd.add_argument('--timeout', metavar='SECONDS', type=float,
                     default=None,
                     help=_('with --check-locations: the timeout of each '
                            'HTTP request (default: %d)') % DEFAULT_TIMEOUT)
    cmd.set_defaults(func=_validate)

    cmd = commands.add_parser(
        'introspect',
        help=_('print disk_format, min_disk and image properties for a '
               'disk image file'),
        description=_('Read a disk image file with oslo.utils\' format '
                      'inspector and print what an OS::Glance::Image '
                      'needs: disk_format, container_format, min_disk (the '
                      'virtual size in GiB, rounded up) and the image '
                      'properties that follow from the file (for VMDK: '
                      'vmware_disktype, hw_disk_bus and hw_scsi_model). '
                      'The output pastes into the resource\'s '
                      '"properties" section. An image that fails the '
                      'inspector\'s safety check (backing file, external '
                      'data file, extents outside the file, unsupported '
                      'subformat) is refused with the reason and exit '
                      'status 1, and so is a gzip, xz, bzip2 or zstd '
                      'compressed file.'))
    cmd.add_argument('image', metavar='IMAGE_FILE_OR_URL',
                     help=_('the disk image file, or an http(s) URL of '
                            'one (read with range requests, only as far '
                            'as the inspector needs)'))
    cmd.add_argument('--max-bytes', metavar='BYTES', type=int,
                     default=None,
                     help=_('for a URL: read at most this many bytes '
                            '(default: %d)') % DEFAULT_MAX_BYTES)
    cmd.add_argument('--timeout', metavar='SECONDS', type=float,
                     default=None,
                     help=_('for a URL: the timeout of each HTTP request '
                            'in seconds (default: %d)') % DEFAULT_TIMEOUT)
    cmd.add_argument('--format', choices=('yaml', 'json'), default='yaml',
                     help=_('output format (default: yaml)'))
    cmd.set_defaults(func=_introspect)

    cmd = commands.add_parser(
        'stale-servers',
        help=_('list the servers that run on older image properties than '
               'their image has now'),
        description=_('For each image (or each image of a stack), list '
                      'the servers booted or rebuilt from it whose image '
                      'properties, as Nova copied them then and shows them '
                      'at compute API microversion 2.98, differ from the '
                      'image\'s properties in Glance now: key, value at '
                      'build, value now. An in-place property change '
                      'reaches new and rebuilt servers only. Nova shows '
                      'only the property names of its own schema; the '
                      'image\'s other keys are listed as not shown (no '
                      'comparison can tell whether a server has them). '
                      'Authentication as for the openstack command: '
                      '--os-cloud or OS_CLOUD with clouds.yaml, or the '
                      'OS_* variables. Exit status: 0 no server runs on '
                      'old properties, %(stale)d some do, 1 an error, 2 '
                      'bad usage, 4 an image or stack not found, 5 not '
                      'allowed, 6 no endpoint for a service, 7 the '
                      'compute API is older than 2.98.') % {
            'stale': 3})
    cmd.add_argument('image', metavar='IMAGE', nargs='*', default=[],
                     help=_('an image ID or name (repeatable)'))
    cmd.add_argument('--stack', metavar='STACK', action='append',
                     default=[],
                     help=_('every OS::Glance::Image and '
                            'OS::Glance::WebImage of this stack and its '
                            'nested stacks (name or ID; repeatable)'))
    cmd.add_argument('--all-projects', action='store_true',
                     help=_('servers of every project (admin only); by '
                            'default only the servers of your project'))
    cmd.add_argument('--format', choices=('text', 'json'), default='text',
                     help=_('text (the default) or one JSON document'))
    cmd.add_argument('--os-cloud', metavar='NAME',
                     default=os.environ.get('OS_CLOUD'),
                     help=_('the cloud of clouds.yaml (default: '
                            'OS_CLOUD; without either, the OS_* '
                            'variables)'))
    cmd.add_argument('--os-region-name', metavar='REGION',
                     default=os.environ.get('OS_REGION_NAME'),
                     help=_('the region (default: OS_REGION_NAME)'))
    cmd.set_defaults(func=_stale_servers)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
