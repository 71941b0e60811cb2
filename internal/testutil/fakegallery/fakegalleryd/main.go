// Command fakegalleryd serves a fake Azure Compute Gallery (package fakegallery) over HTTPS
// on 127.0.0.1 until its standard input closes, for a process that talks to Azure through
// the SDK's real clients: the local pipeline's publish command. Its first line on standard
// output is the JSON of fakegallery.Address (the URL, the certificate file to trust).
//
//	fakegalleryd -dir DIR
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/imagegrid/imagegrid/internal/testutil/fakegallery"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fakegalleryd:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("fakegalleryd", flag.ContinueOnError)
	dir := fs.String("dir", "", "folder for the server's certificate file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		return fmt.Errorf("usage: fakegalleryd -dir DIR")
	}
	srv, err := fakegallery.Serve(fakegallery.New(), *dir)
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := json.NewEncoder(stdout).Encode(srv.Address); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, stdin) // serve until the parent closes our input (or dies)
	return err
}
