# imagegrid's three commands (matrix, build, publish) for CI systems other than GitHub Actions.
# Every image is pinned by digest; the tag beside it says which release the digest is.
#
#   docker build -t imagegrid .
#   docker run --rm -v "$PWD:/grid" -w /grid imagegrid matrix --format json
#
# build starts Image Builder's container through the host's Docker: mount the socket and give
# the user its group, e.g. -v /var/run/docker.sock:/var/run/docker.sock
# --group-add "$(stat -c %g /var/run/docker.sock)" (docs/workflows.md).

FROM golang:1.26-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d AS builder
# go.mod may ask for a newer patch release than the image has: let go fetch that toolchain.
ENV GOTOOLCHAIN=auto CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
RUN go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/matrix ./cmd/build ./cmd/publish

# The docker CLI (a static binary), for build's docker executor.
FROM docker:28-cli@sha256:625d9431a9f54c5a2bc90f24f0e1c3d55b1349fd857dd85035f98c2c9acbdd4d AS docker-cli

FROM gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639
COPY --from=docker-cli /usr/local/bin/docker /usr/local/bin/docker
COPY --from=builder /out/ /usr/local/bin/
USER nonroot:nonroot
WORKDIR /grid
CMD ["matrix", "--help"]
