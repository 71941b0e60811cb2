FROM golang:1.26@sha256:9edf71320ef8a791c4c33ec79f90496d641f306a91fb112d3d060d5c1cee4e20 AS builder
USER nobody
RUN go build -o /out/ ./cmd/...

FROM builder
COPY --from=builder /out/ /usr/local/bin/
