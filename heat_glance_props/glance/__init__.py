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

"""The resource's conversation with Glance's image API, without Heat.

* :mod:`.plan`: what to ask Glance for, from the resource's properties
  (the create request body, the changes of an update, what a check
  reports). Pure functions of dicts.
* :mod:`.progress`: what an image document says about Glance's work on
  the image (import failed? settled? copied?). Pure functions of dicts.
* :mod:`.calls`: the requests, through a glanceclient v2 client: the
  POST, the import, the one PATCH, store copies and removals, the data
  check, the failed import task.

Failures arrive as :class:`GlanceError` (with a message that says what to
do); the Heat resource turns them into Heat errors.
"""


class GlanceError(Exception):
    """Glance refused or failed a request; the message says what to do."""


class ImportFailed(GlanceError):
    """Glance could not import the image's data."""


class CopyFailed(GlanceError):
    """Glance could not copy the image to a store."""


class IdTaken(GlanceError):
    """Glance has, or had, an image with the id a create asked for."""

    def __init__(self, image_id, message):
        super(IdTaken, self).__init__(message)
        self.image_id = image_id
