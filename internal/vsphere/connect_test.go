package vsphere

import (
	"context"
	"strings"
	"testing"
)

func TestConnectVerifiesTLS(t *testing.T) {
	sim := newVCSim(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		insecure   bool
		thumbprint string
		wantErr    string
	}{
		{name: "unknown certificate refused", wantErr: "certificate"},
		{name: "wrong pin refused", thumbprint: strings.Repeat("AB:", 19) + "AB", wantErr: "thumbprint does not match"},
		{name: "pinned thumbprint", thumbprint: sim.cfg.Thumbprint},
		{name: "insecure when asked", insecure: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := connect(ctx, sim.cfg.Server, tc.insecure, tc.thumbprint, testCreds, nil)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				conn.close(ctx)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("connect error = %v; want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    Credentials
		wantErr string
	}{
		{name: "govc", env: map[string]string{"GOVC_USERNAME": "u", "GOVC_PASSWORD": "p", "VSPHERE_USERNAME": "x", "VSPHERE_PASSWORD": "y"}, want: Credentials{"u", "p"}},
		{name: "vsphere", env: map[string]string{"VSPHERE_USERNAME": "x", "VSPHERE_PASSWORD": "y"}, want: Credentials{"x", "y"}},
		{name: "half", env: map[string]string{"GOVC_USERNAME": "u"}, wantErr: "set both GOVC_USERNAME and GOVC_PASSWORD"},
		{name: "none", wantErr: "set GOVC_USERNAME and GOVC_PASSWORD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CredentialsFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v; want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestPublishRefusesCorruptOVA(t *testing.T) {
	sim := newVCSim(t)
	rec, dir := testRecord(t, 1<<20)
	rec.Artifacts.OVA.ManifestSHA256 = "" // a record without the manifest's digest: the whole file is checked
	rec.Artifacts.OVA.SHA256 = strings.Repeat("0", 64)
	p := New(sim.cfg, testCreds, Options{Attempts: 1})
	defer p.Close()
	_, err := p.Publish(context.Background(), rec, dir)
	if err == nil || !strings.Contains(err.Error(), "its build record says") {
		t.Fatalf("publish error = %v; want a digest mismatch", err)
	}
	if vms := vmsNamed(t, sim.client(t), TemplateName(rec.Cell)); len(vms) != 0 {
		t.Errorf("%d VMs left after a refused OVA", len(vms))
	}
}
