package build

import (
	"fmt"
	"net"
	"strconv"
)

// bundlePort is the port the TKG Linux resource bundle serves on inside its container.
const bundlePort = 3000

// bundle is the TKG Linux resource bundle container of one build: it serves the Kubernetes,
// CNI and containerd artifacts that tkg.json points Image Builder at.
type bundle struct {
	docker, image, name string
	host                string
	port                int
	environ             []string
}

func (b bundle) url() string {
	return "http://" + net.JoinHostPort(b.host, strconv.Itoa(b.port))
}

func (b bundle) start() Command {
	return Command{Path: b.docker, Args: []string{"run", "-d", "--name", b.name, "-p", fmt.Sprintf("%d:%d", b.port, bundlePort), b.image}, Env: b.environ}
}

func (b bundle) stop() Command {
	return Command{Path: b.docker, Args: []string{"rm", "-f", b.name}, Env: b.environ}
}

// freePort asks the kernel for a free TCP port, so several bundles can serve on one runner.
func freePort() (int, error) {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		return 0, fmt.Errorf("find a free port for the resource bundle: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// outboundIP is the address other machines (the VM being built) reach this host at: the
// source address of a route to a public address. No packet is sent.
func outboundIP() (string, error) {
	conn, err := net.Dial("udp", "192.0.2.1:9")
	if err != nil {
		return "", fmt.Errorf("find this host's address for the resource bundle (set --bundle-host): %w", err)
	}
	defer conn.Close()
	return conn.LocalAddr().(*net.UDPAddr).IP.String(), nil
}
