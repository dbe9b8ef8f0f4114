#!/usr/bin/env bash
# Install what the mini-cloud test tier (tests/minicloud) needs from the
# operating system: RabbitMQ, from Debian's packages, when it is missing.
# Keystone, Glance and Heat come from PyPI into the virtualenv
# (test-requirements.txt).
#
# The package's service is not started (the tier starts its own broker on
# 127.0.0.1 and stops it at the end). Needs root, or a user allowed to run
# apt-get through sudo; with neither, it says what to install and fails.
set -euo pipefail

server=/usr/lib/rabbitmq/bin/rabbitmq-server
if [ -x "$server" ] && command -v epmd >/dev/null; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "tools/minicloud/setup.sh: RabbitMQ is missing; install it with" \
         "'apt-get install rabbitmq-server' (as root) or set" \
         "HGP_SKIP_MINICLOUD=1 to skip the mini-cloud tier." >&2
    exit 1
fi

echo "== installing rabbitmq-server (Debian package) for the mini-cloud tier"
# Keep the package's own service from starting: a policy-rc.d that says
# "no", for the time of the install only, unless the system has one.
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
    rabbitmq-server >/dev/null
[ -x "$server" ] || { echo "rabbitmq-server: $server not found" >&2; exit 1; }
