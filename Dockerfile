# The `kept` binary on a slim Debian. Build: docker build -t kept .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p kept-api --bin kept

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libpq5 curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/kept --create-home kept \
    && install -d -o kept -m 700 /var/lib/kept/data
COPY --from=build /src/target/release/kept /usr/local/bin/kept
USER kept
WORKDIR /var/lib/kept
ENV KEPT__SERVER__BIND=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["kept"]
CMD ["serve"]
