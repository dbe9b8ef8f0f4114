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

"""The files of a template, as ``openstack stack create`` sends them.

Which files are templates, and the files a template and its environment
files name: nested templates, ``get_file`` arguments and the templates
of ``resource_registry`` entries. No Heat import: the offline ``validate``
command hands what it reads here to Heat's template code.
"""

import json
import os
import urllib.parse

import yaml

from heat_glance_props._i18n import _


class TemplateError(Exception):
    """The template or an environment file cannot be read or parsed."""


#: The resource types Heat takes for the name of a nested template.
NESTED_SUFFIXES = ('.yaml', '.template')

#: The names of files a directory is searched for templates by.
TEMPLATE_SUFFIXES = ('.yaml', '.yml', '.template', '.json')

_VERSION_KEYS = ('heat_template_version', 'HeatTemplateFormatVersion',
                 'AWSTemplateFormatVersion')

#: The keys of a resource_registry (or of one of its ``resources``
#: entries) that never name a template.
_REGISTRY_NOT_FILES = ('base_url', 'hooks', 'restricted_actions')


def read(path):
    """The text of a file; :class:`TemplateError` if it cannot be read."""
    try:
        with open(path) as f:
            return f.read()
    except OSError as exc:
        raise TemplateError(_('cannot read %(path)s: %(exc)s') % {
            'path': path, 'exc': exc.strerror or exc})


def _is_local(name):
    return (isinstance(name, str) and
            urllib.parse.urlsplit(name).scheme in ('', 'file'))


def _local_path(base, name):
    return os.path.join(base, urllib.parse.urlsplit(name).path)


def _nested_files(full, text, files, seen):
    """Add the files a nested template names, if it parses."""
    try:
        child = yaml.safe_load(text)
    except yaml.YAMLError:
        return
    if isinstance(child, dict):
        local_files(full, child, files, seen)


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
        full = _local_path(base, name)
        if full in seen:
            continue
        seen.add(full)
        try:
            files[name] = read(full)
        except TemplateError:
            continue  # Heat reports the file it cannot fetch
        if nested:
            _nested_files(full, files[name], files, seen)
    return files


def _registry_files(registry, base, files, seen):
    """Read the templates a resource_registry maps types to.

    As the openstack command does: every value that is not a resource
    type name (those hold ``::``) names a file, relative to the
    registry's ``base_url`` or else the environment file's directory; the
    value becomes the file's absolute ``file://`` URL, which is the name
    Heat looks the file up by.
    """
    base_url = registry.get('base_url')
    if _is_local(base_url):
        base = _local_path(base, base_url)
    for key, value in list(registry.items()):
        if key in _REGISTRY_NOT_FILES:
            continue
        if key == 'resources' and isinstance(value, dict):
            for entry in value.values():
                if isinstance(entry, dict):
                    _registry_files(entry, base, files, seen)
            continue
        if (not isinstance(value, str) or '::' in value or
                not _is_local(value)):
            continue
        full = os.path.abspath(_local_path(base, value))
        url = 'file://' + urllib.parse.quote(full)
        registry[key] = url
        if url in files:
            continue
        files[url] = read(full)
        if full not in seen:
            seen.add(full)
            _nested_files(full, files[url], files, seen)


def environment_files(env_files, files=None):
    """The environment files, and the templates their registries name.

    :returns: ``files`` (a new dict by default) with each environment
        file under its name, its ``resource_registry`` entries that name
        local templates rewritten to ``file://`` URLs, and those templates
        (and the files they name in turn) under theirs.
    :raises TemplateError: if an environment file or a template it maps
        a type to cannot be read (the openstack command stops there too).
    """
    files = {} if files is None else files
    seen = set()
    for name in env_files:
        text = read(name)
        try:
            env = yaml.safe_load(text)
        except yaml.YAMLError:
            env = None  # Heat reports the syntax error
        registry = (env.get('resource_registry')
                    if isinstance(env, dict) else None)
        if isinstance(registry, dict):
            _registry_files(registry, os.path.dirname(os.path.abspath(name)),
                            files, seen)
            text = json.dumps(env)
        files[name] = text
    return files


def is_template(path):
    """Whether a file found in a directory looks like a Heat template.

    Environment files and other YAML in a template directory are not
    templates: only a file whose top-level map names a template version
    is.
    """
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
        for top, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
            for name in sorted(names):
                full = os.path.join(top, name)
                if name.endswith(TEMPLATE_SUFFIXES) and is_template(full):
                    found.append(full)
    return found
