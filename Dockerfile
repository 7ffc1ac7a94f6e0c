# qsanfwd in a container: built from this tree on Debian 12, run as an unprivileged user with a
# read-only root file system. Each RUN is a step of packaging/container/stage.sh, which
# tests/packaging/container_test.sh runs too (CI cannot pull debian:12-slim to build the image).
#   docker build -t qsanfwd .
#   docker run -d --name qsanfwd --read-only --tmpfs /tmp -v /etc/qsanfwd:/etc/qsanfwd:ro \
#     -v qsanfwd-state:/var/lib/qsanfwd -v qsanfwd-log:/var/log/qsanfwd qsanfwd
#   docker run --rm -it qsanfwd demo          # the embedded simulated array
FROM debian:12-slim AS build
COPY packaging/container/stage.sh /usr/local/bin/stage.sh
RUN stage.sh build-deps
WORKDIR /src
COPY . .
RUN stage.sh build /src /build /out

FROM debian:12-slim
COPY packaging/container/stage.sh /usr/local/bin/stage.sh
RUN stage.sh runtime-deps && stage.sh runtime-setup && rm /usr/local/bin/stage.sh
COPY --from=build /out/usr/bin/qsanfwd /usr/bin/qsanfwd
COPY --from=build --chown=root:10001 /out/etc/qsanfwd/config.json /etc/qsanfwd/config.json
COPY packaging/container/healthcheck /usr/local/bin/qsanfwd-healthcheck
LABEL org.opencontainers.image.title="qsanfwd" \
      org.opencontainers.image.description="Log and event forwarder for QSAN storage arrays" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/debian:12-slim"
# Numeric, so that a runtime can check it is not root (Kubernetes' runAsNonRoot).
USER 10001:10001
# The state (queue, checkpoints, tokens) must outlive the container; the root file system can be
# read-only (`--read-only --tmpfs /tmp`): the agent writes only these two.
VOLUME ["/var/lib/qsanfwd", "/var/log/qsanfwd"]
# /metrics and /healthz when the config sets http_api.listen to "0.0.0.0:9464".
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/qsanfwd-healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/qsanfwd"]
CMD ["run", "-c", "/etc/qsanfwd/config.json"]
