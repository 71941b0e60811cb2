// Command stamped is a Go program with the version variables Kubernetes and containerd set
// at link time (-X), for testing that their versions are found in real linker output.
package main

import "fmt"

// As in k8s.io/component-base/version/base.go.
var (
	gitMajor     string
	gitMinor     string
	gitVersion   = "v0.0.0-master+$Format:%H$"
	gitCommit    = "$Format:%H$"
	gitTreeState string
	buildDate    = "1970-01-01T00:00:00Z"
)

// As in github.com/containerd/containerd/version/version.go.
var (
	Package  = "github.com/containerd/containerd/v2"
	Version  = "2.0.0+unknown"
	Revision = ""
)

func main() {
	fmt.Println(gitMajor, gitMinor, gitVersion, gitCommit, gitTreeState, buildDate)
	fmt.Println(Package, Version, Revision)
}
