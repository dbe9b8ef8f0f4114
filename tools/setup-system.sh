#!/usr/bin/env bash
# Install what the test tiers need from the operating system, from Debian's
# packages, when it is missing:
#   qemu-utils       qemu-img, for the harness Glance's image_conversion
#                    import plugin (functional tier, tests/harness)
#   rabbitmq-server  the message bus of the mini-cloud tier (tests/minicloud)
#   mariadb-server   the database of Keystone, Glance and Heat in the
#                    mini-cloud tier (a private instance the tier starts)
# Keystone, Glance and Heat come from PyPI into the virtualenv
# (test-requirements.txt).
#
# Packaged services are not started (the mini-cloud tier starts its own
# broker and database server on 127.0.0.1 and stops them at the end).
# Needs root, or a user allowed to run apt-get through sudo; with neither,
# it says what to install and fails. HGP_SKIP_MINICLOUD=1 leaves RabbitMQ
# and MariaDB out.
set -euo pipefail

packages=()
if ! command -v qemu-img >/dev/null; then
    packages+=(qemu-utils)
fi
if [ "${HGP_SKIP_MINICLOUD:-0}" != 1 ] &&
        { [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ] ||
          ! command -v epmd >/dev/null; }; then
    packages+=(rabbitmq-server)
fi
if [ "${HGP_SKIP_MINICLOUD:-0}" != 1 ] &&
        { [ ! -x /usr/sbin/mariadbd ] ||
          [ ! -x /usr/bin/mariadb-install-db ]; }; then
    packages+=(mariadb-server)
fi
[ ${#packages[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "tools/setup-system.sh: missing ${packages[*]}; install them with" \
         "'apt-get install ${packages[*]}' (as root)." >&2
    exit 1
fi

echo "== installing ${packages[*]} (Debian packages) for the test tiers"
# Keep packaged services from starting: a policy-rc.d that says "no", for
# the time of the install only, unless the system has one.
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    own_policy=1
fi
cleanup() {
    if [ -n "$own_policy" ]; then
        "${sudo[@]}" rm -f "$policy"
    fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" >/dev/null
command -v qemu-img >/dev/null ||
    { echo "qemu-img not found after installing qemu-utils" >&2; exit 1; }
if [[ " ${packages[*]} " == *" mariadb-server "* ]] &&
        [ ! -x /usr/sbin/mariadbd ]; then
    echo "mariadbd not found after installing mariadb-server" >&2
    exit 1
fi
