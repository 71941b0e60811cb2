package vsphere

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
)

// Credentials log in to vCenter. They come from the environment and are never logged.
type Credentials struct {
	Username string
	Password string
}

// CredentialsFromEnv reads GOVC_USERNAME/GOVC_PASSWORD, else VSPHERE_USERNAME/VSPHERE_PASSWORD.
func CredentialsFromEnv(getenv func(string) string) (Credentials, error) {
	for _, prefix := range []string{"GOVC_", "VSPHERE_"} {
		c := Credentials{Username: getenv(prefix + "USERNAME"), Password: getenv(prefix + "PASSWORD")}
		if c.Username != "" || c.Password != "" {
			if c.Username == "" || c.Password == "" {
				return Credentials{}, fmt.Errorf("vsphere credentials: set both %sUSERNAME and %sPASSWORD", prefix, prefix)
			}
			return c, nil
		}
	}
	return Credentials{}, fmt.Errorf("vsphere credentials: set GOVC_USERNAME and GOVC_PASSWORD (or VSPHERE_USERNAME and VSPHERE_PASSWORD)")
}

// serverURL turns a host name or URL into the SDK endpoint URL (https://host/sdk).
func serverURL(server string) (*url.URL, error) {
	s := server
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("vsphere server %q: %w", server, err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("vsphere server %q: credentials do not belong in the URL; set GOVC_USERNAME and GOVC_PASSWORD", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("vsphere server %q: no host name", server)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/sdk"
	}
	return u, nil
}

// connection is a logged-in vim25 client.
type connection struct {
	client  *vim25.Client
	session *session.Manager
	host    string
	// rest is the vAPI client (content libraries), logged in on first use.
	rest *rest.Client
}

// connect logs in to the vCenter of the target. TLS is verified unless insecure is set;
// a thumbprint pins the certificate when the system roots do not vouch for it.
func connect(ctx context.Context, server string, insecure bool, thumbprint string, creds Credentials, wrap func(http.RoundTripper) http.RoundTripper) (*connection, error) {
	u, err := serverURL(server)
	if err != nil {
		return nil, err
	}
	sc := soap.NewClient(u, insecure)
	if thumbprint != "" {
		sc.SetThumbprint(u.Host, thumbprint)
	}
	if wrap != nil {
		sc.Client.Transport = wrap(sc.Client.Transport)
	}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("connect to vcenter %s: %w", u.Host, err)
	}
	sm := session.NewManager(vc)
	if err := sm.Login(ctx, url.UserPassword(creds.Username, creds.Password)); err != nil {
		return nil, fmt.Errorf("log in to vcenter %s as %s: %w", u.Host, creds.Username, err)
	}
	return &connection{client: vc, session: sm, host: u.Hostname()}, nil
}

func (c *connection) close(ctx context.Context) error {
	if c.rest != nil {
		if err := c.rest.Logout(ctx); err != nil {
			return fmt.Errorf("log out of the vcenter %s API: %w", c.host, err)
		}
	}
	if err := c.session.Logout(ctx); err != nil {
		return fmt.Errorf("log out of vcenter %s: %w", c.host, err)
	}
	return nil
}
