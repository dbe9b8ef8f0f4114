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

"""Checking a template whose parameters have no value yet.

``openstack orchestration template validate`` accepts such a template:
Heat's ``validate_template`` builds the stack with ``strict_validate=False``
and checks no property value at all. The offline ``validate`` command
goes further: it checks every value that does not depend on a parameter
without a value, and says which ones it could not check.

Heat's template code is imported at module level: import this module only
after :func:`heat_glance_props.offline.setup_heat`.
"""

from heat.common import exception
from heat.engine.cfn import functions as cfn_functions
from heat.engine import function
from heat.engine.hot import functions as hot_functions
from heat.engine import properties
from heat.engine import rsrc_defn


class UnsetValue(Exception):
    """A property was read whose value needs parameters without a value."""

    def __init__(self, key, params):
        super(UnsetValue, self).__init__(key, params)
        self.key = key
        self.params = params


def unset_parameters(stk):
    """The names of the parameters of a stack that have no value."""
    return frozenset(name for name, param in stk.parameters.params.items()
                     if not param.has_value())


def validate_parameters(stk, require):
    """Heat's checks of the parameters of a stack.

    :param require: as heat-engine's stack create: a parameter without a
        value is an error. Otherwise as Heat's ``validate_template``,
        except that the values that are given (or defaulted) are still
        checked against the parameters' types and constraints.
    :raises: Heat's exception for the first parameter refused.
    """
    if require:
        stk.parameters.validate(context=stk.context, validate_value=True)
        return
    stk.parameters.validate(context=stk.context, validate_value=False)
    for param in stk.parameters.params.values():
        if param.has_value():
            param.validate(validate_value=True, context=stk.context)


def _named_params(snippet):
    """The parameter names a snippet refers to, wherever it does."""
    names = set()

    def walk(node):
        if isinstance(node, (hot_functions.GetParam, cfn_functions.ParamRef)):
            name = node.args
            if isinstance(name, list) and name:
                name = name[0]
            if isinstance(name, str):
                names.add(name)
        if isinstance(node, function.Function):
            walk(node.args)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(snippet)
    return names


def needs(snippet, unset):
    """The parameters without a value that a snippet's value needs.

    The snippet is resolved as heat-engine resolves it (so an ``if``
    whose condition picks the other branch needs nothing): a sorted list
    of parameter names, empty if the value resolves or fails for another
    reason (which Heat's own checks then report).
    """
    try:
        function.resolve(snippet)
    except exception.UserParameterMissing as exc:
        key = exc.kwargs.get('key')
        if key in unset:
            return sorted((_named_params(snippet) & unset) | {key})
    except Exception:
        pass
    return []


class PartialProperties(properties.Properties):
    """Properties of a resource, less the values that cannot be known.

    ``unset`` maps each property whose whole value needs parameters
    without a value to those parameters. Heat's validation passes over
    such a property (not even "not assigned" if it is required); reading
    it raises :class:`UnsetValue`, so that a check that needs it stops
    instead of judging a value nobody gave; a nested template gets no
    value for it.
    """

    unset = {}

    def _get_property_value(self, key, validate=False):
        if key in self.unset:
            if validate:
                return None
            raise UnsetValue(key, self.unset[key])
        return super(PartialProperties, self)._get_property_value(
            key, validate)

    def get_user_value(self, key):
        if key in self.unset:
            return None
        return super(PartialProperties, self).get_user_value(key)


def leave_out(res, unset, map_names=()):
    """Give a resource properties without the values it cannot know.

    :param unset: the names of the stack's parameters without a value.
    :param map_names: properties (maps of free keys, such as an image's
        ``properties``) whose keys are left out one by one when the map
        is written out in the template, and that read as not set when
        their whole value is unknown; any other property is left out
        whole (see :class:`PartialProperties`).
    :returns: ``(property, map_key, parameters)`` for each value left
        out (``map_key`` None for a whole property), in template order;
        empty (and the resource untouched) if there is none.
    """
    data = res.properties.data or {}
    if not unset or not data:
        return []
    kept = dict(data)
    whole = {}
    left_out = []
    for key, snippet in data.items():
        if key in map_names and isinstance(snippet, dict):
            kept[key] = {}
            for map_key, value in snippet.items():
                params = needs(value, unset)
                if params:
                    left_out.append((key, map_key, params))
                else:
                    kept[key][map_key] = value
            continue
        params = needs(snippet, unset)
        if not params:
            continue
        left_out.append((key, None, params))
        if key in map_names:
            # No key of the map is known: it reads as not set.
            del kept[key]
        else:
            whole[key] = params
    if not left_out:
        return []
    props = PartialProperties(res.properties_schema, kept, function.resolve,
                              context=res.context,
                              section=rsrc_defn.PROPERTIES,
                              rsrc_description=res.t.description)
    props.unset = whole
    res.translate_properties(props)
    res.properties = props
    return left_out
