module github.com/imagegrid/imagegrid

go 1.26.8

require (
	github.com/google/go-github/v93 v93.0.0
	github.com/hashicorp/go-version v1.9.0
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.2
	github.com/sethvargo/go-githubactions v1.4.0
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	github.com/google/go-querystring v1.2.0 // indirect
	golang.org/x/text v0.14.0 // indirect
)
