// Package motoserver runs a real moto_server, a local implementation of the AWS APIs, on
// 127.0.0.1: for the tests and for the local pipeline.
package motoserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/imagegrid/imagegrid/internal/syncbuf"
)

// Install says how to get moto_server when it is missing.
const Install = "bash .ci/install (as root on Debian: moto in its own venv), or pip install 'moto[server]==5.2.1'"

// Server is a running moto_server.
type Server struct {
	// URL is the endpoint to give AWS clients ("http://127.0.0.1:PORT").
	URL  string
	stop func()
}

// Start runs moto_server on a free port of 127.0.0.1 and waits until it answers.
func Start(ctx context.Context) (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server is missing (install it with %s): %w", Install, err)
	}
	var errs []error
	for range 3 { // the free port can be taken between choosing and binding it
		s, err := start(ctx, bin)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("start moto_server: %w", errors.Join(errs...))
}

// Stop ends the server and waits for it to exit.
func (s *Server) Stop() { s.stop() }

func start(ctx context.Context, bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	var out syncbuf.Buffer
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("moto_server exited: %v: %s", err, out.String())
		case <-ctx.Done():
			stop()
			return nil, ctx.Err()
		default:
		}
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return &Server{URL: url, stop: stop}, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("moto_server did not answer on %s within 30s: %s", url, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
