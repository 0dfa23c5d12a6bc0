# The wsbench image for load agents, coordinators and one-box trials (deploy/, docs/distributed.md).
#   docker build -t wsbench:0.1.0 .
# Node 20 on Debian 12 (slim) with Debian's redis-server (7.0, the version the tests run against)
# for the embedded and the control Redis, and wsbench installed from its own packed tarball.
# Everything is fetched while building; nothing at run time.

FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# The package is what `npm pack` makes of the build: the files a user would install.
RUN npm run build && mkdir /pkg && npm pack --ignore-scripts --pack-destination /pkg

FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends redis-server \
  && rm -rf /var/lib/apt/lists/*
COPY --from=build /pkg/ /tmp/pkg/
RUN npm install --global --omit=dev --ignore-scripts --no-audit --no-fund /tmp/pkg/wsbench-*.tgz \
  && rm -rf /tmp/pkg /root/.npm
COPY deploy/docker-entrypoint.sh /usr/local/bin/wsbench-entrypoint
# Not root: nothing here needs it (the port range is a pod/container sysctl, the open-files limit
# is raised within the hard limit the runtime grants).
USER node
WORKDIR /home/node
ENTRYPOINT ["wsbench-entrypoint"]
CMD ["--help"]
