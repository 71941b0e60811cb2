# syntax=docker/dockerfile:1
FROM --platform=$BUILDPLATFORM golang:1.26 AS builder
RUN go build -o /out/ ./cmd/...

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=builder /out/ /usr/local/bin/
COPY --from=docker:28-cli /usr/local/bin/docker /usr/local/bin/docker
USER nonroot
