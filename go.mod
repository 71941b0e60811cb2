module github.com/imagegrid/imagegrid

go 1.26.8

require (
	github.com/sethvargo/go-githubactions v1.4.0
	go.yaml.in/yaml/v3 v3.0.6
)
