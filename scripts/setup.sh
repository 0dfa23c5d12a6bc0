#!/bin/sh
# What wsbench needs on this machine, in one place: the system packages for running it and for its
# test suite, then the npm dependencies and the build. README's set-up commands run this.
#
#   scripts/setup.sh               redis-server, then npm ci (when needed) and the build   (command 1)
#   scripts/setup.sh --for tests   also what the tests start: tmux, the real stacks, chromium (npm test)
#   scripts/setup.sh --check       only say what is missing; exit 1 when anything is
#
# Debian/Ubuntu: installs with apt-get (apt-get update first), as root or through sudo when sudo is
# there. Anywhere it cannot install (no apt-get, no root and no sudo, macOS), it installs nothing
# and prints one line with the exact command to run, then exits 1. Nothing is printed when
# everything is already there, so `npm test` stays quiet.
set -eu
cd "$(dirname "$0")/.."

mode=run
check_only=no
while [ $# -gt 0 ]; do
  case "$1" in
    --for) [ $# -ge 2 ] || { echo "setup: --for needs run or tests" >&2; exit 2; }; mode="$2"; shift 2 ;;
    --for=*) mode="${1#--for=}"; shift ;;
    --check) check_only=yes; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown argument $1 (see scripts/setup.sh --help)" >&2; exit 2 ;;
  esac
done
case "$mode" in run|tests) ;; *) echo "setup: --for must be run or tests, not \"$mode\"" >&2; exit 2 ;; esac

# ---------------------------------------------------------------------------------------------
# The system packages. Each need is checked the way wsbench or its tests use it, and named for
# apt (Debian/Ubuntu) and for macOS (brew, pip, gem).
#   need <what> <apt packages> <macOS command> -- <check command…>
# ---------------------------------------------------------------------------------------------
missing_what=''
missing_apt=''
missing_mac=''
need() {
  what="$1" apt="$2" mac="$3"
  shift 4
  if ! "$@" >/dev/null 2>&1; then
    missing_what="$missing_what $what"
    missing_apt="$missing_apt $apt"
    case " $missing_mac " in *" $mac "*) ;; *) missing_mac="${missing_mac:+$missing_mac && }$mac" ;; esac
  fi
}
has() { command -v "$1"; }
check_needs() {
  missing_what='' missing_apt='' missing_mac=''
  # The embedded Redis of every run.
  need redis-server redis-server 'brew install redis' -- has redis-server
  if [ "$mode" = tests ]; then
    # The dashboard's acceptance test drives wsbench in a real terminal.
    need tmux tmux 'brew install tmux' -- has tmux
    # Real stacks for the adapter tests (test/integration/stacks), with Debian's own python3 and ruby.
    need daphne daphne "python3 -m pip install 'django<4' 'channels<5' 'channels-redis<5' 'daphne<5'" -- test -x /usr/bin/daphne
    need 'Django Channels' 'python3-django-channels python3-channels-redis' \
      "python3 -m pip install 'django<4' 'channels<5' 'channels-redis<5' 'daphne<5'" \
      -- /usr/bin/python3 -c 'import django, channels, channels_redis, daphne'
    need puma puma "gem install puma -v '~> 5.6'" -- test -x /usr/bin/puma
    need ActionCable 'ruby-actioncable ruby-redis' "gem install actioncable -v '~> 6.1' && gem install redis -v '~> 4.8'" \
      -- ruby -e "require 'action_cable'; require 'redis'"
    # The HTML report's real-browser test drives Debian's Chromium with playwright-core (which
    # downloads no browser); the .hlog is read back by HdrHistogram's own HistogramLogProcessor.
    need chromium chromium 'brew install --cask chromium' -- has chromium
    # Distributed-agent tests put an agent in its own network namespace (ip netns, veth): Linux only.
    [ "$(uname -s)" != Linux ] || need iproute2 iproute2 '' -- has ip
    need java default-jre-headless 'brew install openjdk' -- has java
    need HdrHistogram libhdrhistogram-java 'brew install maven && mvn dependency:get -Dartifact=org.hdrhistogram:HdrHistogram:2.1.12' \
      -- test -f /usr/share/java/hdrhistogram.jar
  fi
}

fail() {
  echo "setup: $1" >&2
  exit 1
}

check_needs
if [ -n "$missing_what" ]; then
  apt_line="apt-get update && apt-get install -y --no-install-recommends$missing_apt"
  if [ "$check_only" = yes ]; then
    fail "missing:$missing_what — install with: $apt_line (macOS: $missing_mac)"
  fi
  if [ "$(uname -s)" = Darwin ]; then
    fail "missing:$missing_what — on macOS run: $missing_mac"
  fi
  if ! has apt-get >/dev/null; then
    fail "missing:$missing_what — no apt-get here: install them with your package manager (Debian names:$missing_apt)"
  fi
  if [ "$(id -u)" = 0 ]; then
    as_root=''
  elif has sudo >/dev/null; then
    as_root='sudo'
  else
    fail "missing:$missing_what — run as root: $apt_line"
  fi
  echo "setup: installing$missing_apt${as_root:+ (with sudo)}" >&2
  # shellcheck disable=SC2086 # the package list splits on purpose
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || fail "apt-get update failed — run: ${as_root:+sudo }$apt_line"
  # shellcheck disable=SC2086
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing_apt ||
    fail "apt-get install failed — run: ${as_root:+sudo }$apt_line"
  check_needs
  [ -z "$missing_what" ] || fail "still missing after apt-get:$missing_what"
fi

# ---------------------------------------------------------------------------------------------
# Node, the npm dependencies and the build.
# ---------------------------------------------------------------------------------------------
has node >/dev/null || fail 'Node.js >= 20.19 is needed (https://nodejs.org; Debian 12'"'"'s own nodejs is too old)'
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  fail "Node.js >= 20.19 is needed, this is $(node --version) (https://nodejs.org)"
[ "$check_only" = yes ] && exit 0

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ -n "$(find package-lock.json -newer node_modules/.package-lock.json)" ]; then
  echo 'setup: npm ci' >&2
  npm ci --no-audit --no-fund
fi
# `npm test` builds by itself; a run needs dist/.
if [ "$mode" = run ]; then
  npm run --silent build
fi
