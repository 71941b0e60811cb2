package vsphere

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"

	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/syncbuf"
	"github.com/imagegrid/imagegrid/internal/testutil/ovatest"
)

// TestPublishRefusesBadOVAAtOnce publishes OVAs that are not what their record and manifest
// say: each is refused with the reason on the first attempt (trying again cannot fix a file),
// and no VM or template is left in vCenter. Each case runs with a record that gives the
// manifest's digest (the OVA trusted through its manifest) and, unless it is about that
// digest, with one that does not (the whole file's digest checked), as older records are.
func TestPublishRefusesBadOVAAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(t *testing.T, rec *record.BuildRecord, ova string)
		want string
		// only is "manifest" or "whole file" for a case about one way of checking.
		only string
	}{
		{
			name: "disk differs from the manifest",
			edit: func(t *testing.T, rec *record.BuildRecord, ova string) {
				rewriteMembers(t, rec, ova, func(name string, data []byte) []byte {
					if !strings.HasSuffix(name, ".mf") {
						return data
					}
					disk := regexp.MustCompile(`(SHA256\([^)]*\.vmdk\)= )[0-9a-f]+`)
					return disk.ReplaceAll(data, []byte("${1}"+strings.Repeat("ab", 32)))
				})
			},
			want: "; the manifest ubuntu-2204-kube-v1.30.2+vmware.1.mf says abab",
		},
		{
			name: "descriptor differs from the manifest",
			edit: func(t *testing.T, rec *record.BuildRecord, ova string) {
				rewriteMembers(t, rec, ova, func(name string, data []byte) []byte {
					if strings.HasSuffix(name, ".ovf") {
						return bytes.Replace(data, []byte("</Envelope>"), []byte("<!-- edited --></Envelope>"), 1)
					}
					return data
				})
			},
			want: `tar member "ubuntu-2204-kube-v1.30.2+vmware.1.ovf" has SHA256`,
		},
		{
			name: "manifest lists a file the OVA lacks",
			edit: func(t *testing.T, rec *record.BuildRecord, ova string) {
				rewriteMembers(t, rec, ova, func(name string, data []byte) []byte {
					if strings.HasSuffix(name, ".mf") {
						return append(data, []byte("SHA256(rootkit.iso)= "+strings.Repeat("cd", 32)+"\n")...)
					}
					return data
				})
			},
			want: "lists rootkit.iso, which is not in the OVA",
		},
		{
			name: "disk not listed in the manifest",
			edit: func(t *testing.T, rec *record.BuildRecord, ova string) {
				rewriteMembers(t, rec, ova, func(name string, data []byte) []byte {
					if strings.HasSuffix(name, ".mf") {
						return regexp.MustCompile(`(?m)^SHA256\([^)]*\.vmdk\).*\n`).ReplaceAll(data, nil)
					}
					return data
				})
			},
			want: `-disk-0.vmdk" is not listed in the manifest`,
		},
		{
			name: "sha256 differs from the record",
			edit: func(t *testing.T, rec *record.BuildRecord, ova string) {
				rec.Artifacts.OVA.SHA256 = strings.Repeat("0", 64)
			},
			want: "; its build record says 0000",
			only: "whole file",
		},
		{
			name: "manifest differs from the record",
			edit: func(t *testing.T, rec *record.BuildRecord, ova string) {
				rec.Artifacts.OVA.ManifestSHA256 = strings.Repeat("0", 64)
			},
			want: "; the build record says 0000",
			only: "manifest",
		},
		{
			name: "disk and manifest replaced together",
			edit: func(t *testing.T, rec *record.BuildRecord, ova string) {
				// A consistent OVA, but not the one build checked: only the record's digest of
				// the manifest can tell.
				other := ovatest.Make(t, t.TempDir(), ovatest.Spec{Name: "ubuntu-2204-kube-v1.30.2+vmware.1", DiskBytes: 2 << 20})
				members, err := ovatest.Members(other.Path)
				if err != nil {
					t.Fatal(err)
				}
				replaced := ovatest.Rewrite(t, ova, func(name string, data []byte) []byte {
					for _, m := range members {
						if m.Name == name && !strings.HasSuffix(name, ".ovf") {
							return m.Data
						}
					}
					return data
				})
				rec.Artifacts.OVA.Size, rec.Artifacts.OVA.SHA256 = replaced.Size, replaced.SHA256
			},
			want: "; the build record says ",
			only: "manifest",
		},
		{
			name: "OVA missing",
			edit: func(t *testing.T, rec *record.BuildRecord, ova string) {
				if err := os.Remove(ova); err != nil {
					t.Fatal(err)
				}
			},
			want: "no such file or directory",
		},
		{
			name: "OVA truncated",
			edit: func(t *testing.T, rec *record.BuildRecord, ova string) {
				if err := os.Truncate(ova, rec.Artifacts.OVA.Size/2); err != nil {
					t.Fatal(err)
				}
			},
			want: "unexpected EOF",
		},
	}
	for _, tt := range tests {
		for _, mode := range []string{"manifest", "whole file"} {
			if tt.only != "" && tt.only != mode {
				continue
			}
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				sim := newVCSim(t)
				rec, dir := testRecord(t, 1<<20)
				if mode == "whole file" {
					rec.Artifacts.OVA.ManifestSHA256 = ""
				}
				tt.edit(t, &rec, filepath.Join(dir, rec.Artifacts.OVA.Path))
				log := &syncbuf.Buffer{}
				p := New(sim.cfg, testCreds, Options{Log: log, Attempts: 3, RetryDelay: time.Millisecond})
				defer p.Close()
				_, err := p.Publish(context.Background(), rec, dir)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("publish error = %v; want one containing %q", err, tt.want)
				}
				// A missing OVA is refused before it is opened.
				if fallback := strings.Contains(log.String(), "gives no manifest digest"); fallback != (mode == "whole file") && !errors.Is(err, os.ErrNotExist) {
					t.Errorf("whole-file check said in the log: %t, want %t:\n%s", fallback, mode == "whole file", log)
				}
				if strings.Contains(log.String(), "retrying") {
					t.Errorf("a permanent failure was retried:\n%s", log)
				}
				if vms := vmsNamed(t, sim.client(t), TemplateName(rec.Cell)); len(vms) != 0 {
					t.Errorf("%d VMs left after a refused OVA", len(vms))
				}
				// The NFC lease was aborted and the half-made VM destroyed without a failure.
				if strings.Contains(log.String(), "abort NFC lease") || strings.Contains(log.String(), "remove half-imported VM") {
					t.Errorf("the import was not undone cleanly:\n%s", log)
				}
			})
		}
	}
}

// rewriteMembers rewrites the OVA at path with each member's content passed through edit,
// and updates the record's size and digests to the new file (the manifest's only when the
// record gives it), so only the members are wrong.
func rewriteMembers(t *testing.T, rec *record.BuildRecord, path string, edit func(name string, data []byte) []byte) {
	t.Helper()
	ova := ovatest.Rewrite(t, path, edit)
	rec.Artifacts.OVA.Size, rec.Artifacts.OVA.SHA256 = ova.Size, ova.SHA256
	if rec.Artifacts.OVA.ManifestSHA256 != "" {
		rec.Artifacts.OVA.ManifestSHA256 = ova.ManifestSHA256
	}
}

// TestContentLibraryRefusesWrongManifest uploads, to a content library only, an OVA whose disk
// is not what its manifest says: the upload fails with the reason and no item is left.
func TestContentLibraryRefusesWrongManifest(t *testing.T) {
	t.Parallel()
	sim := newVCSim(t)
	rec, dir := testRecord(t, 1<<20)
	rewriteMembers(t, &rec, filepath.Join(dir, rec.Artifacts.OVA.Path), func(name string, data []byte) []byte {
		if strings.HasSuffix(name, ".vmdk") {
			return append(data, 0)
		}
		return data
	})
	sim.cfg.ContentLibrary = &publishconfig.ContentLibrary{Name: "tkg-images", Create: true, Only: true}
	p := New(sim.cfg, testCreds, Options{})
	defer p.Close()
	_, err := p.Publish(context.Background(), rec, dir)
	if err == nil || !strings.Contains(err.Error(), "-disk-0.vmdk\" has SHA256") {
		t.Fatalf("publish error = %v; want the disk's digest refused", err)
	}
	ctx := context.Background()
	rc := rest.NewClient(sim.client(t))
	if err := rc.Login(ctx, url.UserPassword(testCreds.Username, testCreds.Password)); err != nil {
		t.Fatal(err)
	}
	m := library.NewManager(rc)
	l, err := m.GetLibraryByName(ctx, "tkg-images")
	if err != nil {
		t.Fatal(err)
	}
	if items, err := m.FindLibraryItems(ctx, library.FindItem{LibraryID: l.ID}); err != nil || len(items) != 0 {
		t.Errorf("library items left: %v, %v", items, err)
	}
}
