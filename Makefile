# flexlab: two commands do all set-up on a fresh Debian 12 machine (as root):
#   make demo   installs what is missing, runs the main job on the default netns backend
#   make test   installs what is missing, runs every test (.ci/run calls this)

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Debian packages the lab needs: name of the package and a file it installs, so a machine that
# already has them does not call apt at all.
DEB_PACKAGES := \
  iproute2:/usr/sbin/ip iptables:/usr/sbin/iptables nftables:/usr/sbin/nft iputils-ping:/usr/bin/ping \
  tcpdump:/usr/bin/tcpdump tshark:/usr/bin/tshark iperf3:/usr/bin/iperf3 procps:/usr/bin/pgrep \
  psmisc:/usr/bin/killall openssl:/usr/bin/openssl conntrack:/usr/sbin/conntrack wireshark-common:/usr/bin/editcap \
  util-linux:/usr/bin/nsenter \
  strongswan-charon:/usr/lib/ipsec/charon strongswan-swanctl:/usr/sbin/swanctl \
  strongswan-pki:/usr/bin/pki libcharon-extra-plugins:/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so \
  libstrongswan-standard-plugins:/usr/lib/ipsec/plugins/libstrongswan-gmp.so \
  libstrongswan-extra-plugins:/usr/lib/ipsec/plugins/libstrongswan-curve25519.so \
  freeradius:/usr/sbin/freeradius freeradius-utils:/usr/bin/radclient \
  chromium:/usr/bin/chromium libxml2-utils:/usr/bin/xmllint

.PHONY: help deps deps-deb deps-npm native build typecheck test demo bench interop clean

help:
	@echo "make demo   - install what is missing and run the main job (deploy, tunnels, scenario, report)"
	@echo "make test   - install what is missing and run every test"
	@echo "make bench  - benchmarks, ours beside a reference, printed as ratios"

deps: deps-deb deps-npm native build

deps-deb:
	@missing=""; for p in $(DEB_PACKAGES); do f=$${p#*:}; [ -e "$$f" ] || missing="$$missing $${p%%:*}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "== installing Debian packages:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	fi

deps-npm:
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  echo "== installing npm packages"; npm ci --no-audit --no-fund; fi

native: deps-npm
	@if [ ! -f engine/native/build/Release/flexlab_native.node ] || \
	    [ -n "$$(find engine/native -maxdepth 1 -newer engine/native/build/Release/flexlab_native.node -name '*.c*')" ]; then \
	  echo "== building the native addon (TUN, setns)"; \
	  (cd engine/native && npx node-gyp rebuild --silent); fi

# One-file bundle of the CLI and daemon for fast start-up (bin/flexlab.js falls back to the
# TypeScript sources whenever a source is newer than the bundle).
build: deps-npm
	@./node_modules/.bin/esbuild cli/main.ts --bundle --platform=node --format=esm --target=node20 \
	  --packages=external --outfile=dist/flexlab.mjs --log-level=warning

typecheck: deps-npm
	npx tsc --noEmit -p .

# ava's own summary comes first; on a failure the failing tests (and any failed library scenario's
# first failed step) are printed again at the very end, where a CI log's tail shows them.
# A library scenario that fails once and passes when run again alone is reported as flaky.
test: deps typecheck
	@mkdir -p out; rm -f out/test-failures.txt out/test-flaky.txt
	@set -o pipefail; npx ava 2>&1 | tee out/test-output.txt; status=$$?; \
	if [ -f out/test-flaky.txt ]; then echo; echo "== flaky scenarios"; cat out/test-flaky.txt; fi; \
	if [ $$status -ne 0 ]; then echo; echo "== failed tests"; grep -E '✘' out/test-output.txt || true; \
	  if [ -f out/test-failures.txt ]; then cat out/test-failures.txt; fi; fi; exit $$status

demo: deps
	./bin/flexlab.js demo

bench: deps
	npx tsx bench/run.ts

interop: deps
	./bin/flexlab.js interop

clean:
	./bin/flexlab.js destroy --all || true
	rm -rf engine/native/build dist out
