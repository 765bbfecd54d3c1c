# Outpost in a container: for labs and CI-like runs. On a branch box, prefer the systemd unit in
# board/generic (the container needs --network host and NET_RAW/NET_BIND_SERVICE for raw frames).
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/outpost
COPY package.json package-lock.json binding.gyp tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /opt/outpost
COPY --from=build /opt/outpost /opt/outpost
COPY config/example.yaml /etc/outpost/outpost.yaml
VOLUME /var/lib/outpost
EXPOSE 67/udp 69/udp 6970/tcp 5060/udp 5060/tcp 2000/tcp 8080/tcp
ENTRYPOINT ["node", "/opt/outpost/bin/outpost.js"]
CMD ["run", "--config", "/etc/outpost/outpost.yaml"]
