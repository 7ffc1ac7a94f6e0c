# qsanfwd in a container: built from this tree on Debian 12, run as an unprivileged user.
#   docker build -t qsanfwd .
#   docker run -d --name qsanfwd -v /etc/qsanfwd:/etc/qsanfwd:ro -v qsanfwd-state:/var/lib/qsanfwd qsanfwd
#   docker run --rm -it qsanfwd demo          # the embedded simulated array
FROM debian:12-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config libboost1.81-dev libssl-dev nlohmann-json3-dev \
      libsqlite3-dev libspdlog-dev libfmt-dev libcli11-dev zlib1g-dev libzstd-dev libsystemd-dev \
      librdkafka-dev libyaml-cpp-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
      -DQSANFWD_BUILD_TESTS=OFF \
 && cmake --build /build --target qsanfwd \
 && DESTDIR=/out cmake --install /build --strip

FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libssl3 libsqlite3-0 libspdlog1.10-fmt9 libfmt9 zlib1g libzstd1 libsystemd0 \
      librdkafka1 libyaml-cpp0.7 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/qsanfwd --shell /usr/sbin/nologin qsanfwd \
 && install -d -o qsanfwd -g qsanfwd -m 0700 /var/lib/qsanfwd \
 && install -d -o qsanfwd -g qsanfwd -m 0750 /var/log/qsanfwd
COPY --from=build /out/usr/bin/qsanfwd /usr/bin/qsanfwd
COPY --from=build --chown=root:qsanfwd /out/etc/qsanfwd/config.json /etc/qsanfwd/config.json
USER qsanfwd:qsanfwd
VOLUME ["/var/lib/qsanfwd", "/var/log/qsanfwd"]
# /metrics and /healthz when the config sets http_api.listen to "0.0.0.0:9464".
EXPOSE 9464
ENTRYPOINT ["/usr/bin/qsanfwd"]
CMD ["run", "-c", "/etc/qsanfwd/config.json"]
