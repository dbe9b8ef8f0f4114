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

"""The HOT templates the benchmarks create and update stacks with.

Every image takes its data from the template's ``image_url`` parameter:
a new URL is a change of ``location``, which Heat answers by replacing
the image.
"""

from benchmarks import common

#: How the images of a stack depend on each other. ``side_by_side``: not
#: at all (every image is a leaf of Heat's graph); ``fan_out``: every image
#: depends on one ``OS::Heat::None``, the common root (the only leaf);
#: ``chain``: each image on the one before.
SHAPES = ('side_by_side', 'fan_out', 'chain')


def image_resource(properties=None, resource_type='OS::Glance::Image',
                   map_name='properties', name='bench-image',
                   metadata=None):
    """One image resource; ``properties`` goes into its ``map_name``."""
    res_props = {
        'name': name,
        'disk_format': 'raw',
        'container_format': 'bare',
        'location': {'get_param': 'image_url'},
    }
    if properties is not None:
        res_props[map_name] = dict(properties)
    resource = {'type': resource_type, 'properties': res_props}
    if metadata:
        resource['metadata'] = metadata
    return resource


def template(resources):
    return {
        'heat_template_version': '2021-04-16',
        'parameters': {'image_url': {'type': 'string'}},
        'resources': resources,
    }


def one_image(properties, **kwargs):
    """A stack of one image, the resource ``image``."""
    return template({'image': image_resource(properties, **kwargs)})


def images(count, properties, prefix, shape='side_by_side'):
    """A stack of ``count`` images ``image00``, ... of one ``shape``."""
    if shape not in SHAPES:
        common.fail('unknown shape %r', shape)
    resources = {}
    if shape == 'fan_out':
        resources['root'] = {'type': 'OS::Heat::None'}
    for i in range(count):
        resource = image_resource(properties, name='%s-%02d' % (prefix, i))
        if shape == 'fan_out':
            resource['depends_on'] = 'root'
        elif shape == 'chain' and i:
            resource['depends_on'] = 'image%02d' % (i - 1)
        resources['image%02d' % i] = resource
    return template(resources)
