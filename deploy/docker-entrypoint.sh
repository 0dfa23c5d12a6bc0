#!/bin/sh
# The image's entry point: raise the open-files soft limit to the hard limit the container
# runtime grants, then run wsbench with the container's arguments.
#
# Each client connection is an open file. Kubernetes has no field for resource limits: the hard
# limit comes from the container runtime's configuration (Docker's from --ulimit, compose's from
# `ulimits`), and the soft limit often starts at 1024. wsbench reads the limit and plans its
# worker processes by it (`wsbench doctor` shows it).
set -e
hard=$(ulimit -Hn)
if ! ulimit -Sn "$hard" 2>/dev/null; then
  echo "wsbench-entrypoint: could not raise the open-files limit to $hard (it stays $(ulimit -Sn))" >&2
fi
exec wsbench "$@"
