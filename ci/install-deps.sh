#!/bin/sh
# Install the Debian packages vmsweep needs.  Idempotent: packages already present
# are not touched, and the script is quiet when there is nothing to do.  Works as root
# or through sudo.
#
#   install-deps.sh [run|all]
#
# run: what building vmsweep, its guest image and `make demo` need.
# all (default): also what `make check`, `make bench`, `make lint` and `make fuzz` need.
set -eu

RUN_PKGS="
build-essential pkg-config musl-tools file cpio xz-utils zstd e2fsprogs
libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu
qemu-system-x86 qemu-utils
libssh-dev libcjson-dev
libguestfs-dev supermin
linux-image-amd64 busybox-static dropbear-bin openssh-sftp-server
gnuplot-nox procps python3
"
# aarch64 guests (vmsweep run --arch aarch64; make check's e2e/aarch64): the emulator and
# the cross compiler for the static agent.  The guest's own packages are arm64 .debs that
# `vmsweep image build --arch aarch64` downloads and unpacks, never installs (below:
# the arm64 architecture is enabled for that).
ARM_PKGS="qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
TEST_PKGS="
$ARM_PKGS
libvirt-clients libcmocka-dev guestfish
clang clang-format clang-tidy cppcheck libclang-rt-14-dev
nginx-light wrk iproute2 openssh-server
man-db groff-base prometheus chromium
"
case ${1:-all} in
run) PKGS=$RUN_PKGS ;;
all) PKGS="$RUN_PKGS $TEST_PKGS" ;;
*) echo "usage: install-deps.sh [run|all]" >&2; exit 2 ;;
esac
# node and npm by command, not by package: a machine with Node.js from elsewhere (its own
# npm) cannot take Debian's npm package on top, and needs none.
if [ "${1:-all}" = all ]; then
	command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
	command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
fi

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

# Debian's arm64 package lists, for the aarch64 image's downloads (apt-get download).
arm64_new=""
if [ "${1:-all}" = all ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "install-deps: enabling Debian's arm64 packages (for the aarch64 guest image)" >&2
	$SUDO dpkg --add-architecture arm64
	arm64_new=1
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$arm64_new" ] && [ -z "$missing" ]; then
	$SUDO apt-get update -qq
fi
if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# Packages with a daemon (openssh-server: e2e/connect_ssh starts its own sshd on a
	# loopback port) must not start it: a policy-rc.d saying "no" while they install,
	# unless the machine has one of its own (containers often do).
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\n# install-deps.sh: no daemon starts while packages install\nexit 101\n' |
			$SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod 0755 /usr/sbin/policy-rc.d
		policy=1
		trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	# No recommends: they pull in daemons and desktop bits nobody asked for.
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
	if [ -n "$policy" ]; then
		$SUDO rm -f /usr/sbin/policy-rc.d
		trap - EXIT
	fi
fi

# The embedded libvirt QEMU driver refuses to start without this account even
# when qemu.conf runs QEMU as root (seen with libvirt 9.0 on Debian 12).
if ! getent group libvirt-qemu >/dev/null; then
	$SUDO groupadd --system libvirt-qemu
fi
if ! getent passwd libvirt-qemu >/dev/null; then
	$SUDO useradd --system --no-create-home --home-dir /var/lib/libvirt \
		--shell /usr/sbin/nologin -g libvirt-qemu libvirt-qemu
fi

# The independent HdrHistogram reader that tests/integration/hlog.sh decodes the agent's
# .hlog files with: the JavaScript implementation, from npm (test-only).
HDR_JS=/usr/local/lib/vmsweep-test
if [ "${1:-all}" = all ] && [ ! -f "$HDR_JS/node_modules/hdr-histogram-js/package.json" ]; then
	echo "install-deps: installing hdr-histogram-js (npm) into $HDR_JS" >&2
	$SUDO mkdir -p "$HDR_JS"
	# Not fatal: without it only that test is skipped (e.g. a machine whose npm registry
	# sits behind a TLS proxy its CA store does not know).
	if ! $SUDO npm install --silent --no-audit --no-fund --prefix "$HDR_JS" \
		hdr-histogram-js@3.0.1 >"$HDR_JS/npm.log" 2>&1; then
		echo "install-deps: warning: could not install hdr-histogram-js from npm" \
			"($(grep -m1 -o 'code [A-Z_]*' "$HDR_JS/npm.log" || echo 'see' "$HDR_JS/npm.log"));" \
			"tests/integration/hlog will be skipped" >&2
	fi
fi

# Distribution defaults start nginx on port 80 after install; tests start their
# own instance on a free loopback port, so the system one is not needed.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q nginx 2>/dev/null; then
	$SUDO systemctl stop nginx || true
fi
exit 0
