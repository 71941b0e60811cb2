FROM golang:1.26@sha256:9edf71320ef8a791c4c33ec79f90496d641f306a91fb112d3d060d5c1cee4e20 AS builder
RUN go build -o /out/ ./cmd/...
FROM debian:12@sha256:b4042f895d5d1f8df415caebe7c416f9dbcf0dc8867abb225955006de50b21f3
USER imagegrid
COPY --from=builder /out/ /usr/local/bin/
RUN apt-get update \
    && apt-get install -y git
USER root:root
