FROM golang:1.26@sha256:9edf71320ef8a791c4c33ec79f90496d641f306a91fb112d3d060d5c1cee4e20
COPY . /src
RUN go build -o /usr/local/bin/ ./cmd/...
USER 10001
