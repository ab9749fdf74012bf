#!/usr/bin/env bash
# install-redis.sh installs redis-server (Debian package) for the Redis
# revocation store tests. It is idempotent: nothing happens when
# redis-server is already on PATH. Run as root (CI) or with sudo.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
	echo "install-redis: $(redis-server --version | head -n1) already installed"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "install-redis: need root (or sudo) to apt-get install redis-server" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null

# The package may start a system-wide instance on port 6379; the tests start
# their own on a free port and do not need it.
if command -v redis-server >/dev/null 2>&1; then
	echo "install-redis: installed $(redis-server --version | head -n1)"
else
	echo "install-redis: redis-server still not on PATH after apt-get install" >&2
	exit 1
fi
