package catalog

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/changeset"
	"github.com/imagegrid/imagegrid/internal/record"
)

// benchCatalog writes a catalog of 100 TKrs, each with a TanzuKubernetesRelease.yml and four
// OSImage files (500 files), and returns it with 100 publish records that each replace one
// TKr's default ubuntu OVA.
func benchCatalog(b *testing.B) (string, []record.PublishRecord) {
	b.Helper()
	dir := b.TempDir()
	var records []record.PublishRecord
	oses := []string{"ubuntu-2204", "photon-5", "rhel-8", "windows-2019"}
	for i := 0; i < 100; i++ {
		tkr := fmt.Sprintf("v1.%d.%d+vmware.1-tkg.1", 20+i/10, i%10)
		semver, _, _ := strings.Cut(tkr, "-tkg")
		name := ObjectName(tkr)
		config := filepath.Join(dir, name, "config")
		if err := os.MkdirAll(config, 0o755); err != nil {
			b.Fatal(err)
		}
		var refs strings.Builder
		for _, osID := range oses {
			osName, version, _ := strings.Cut(osID, "-")
			image := name + "-" + osID + "-amd64-ova"
			fmt.Fprintf(&refs, "  - name: %s  # default\n", image)
			doc := fmt.Sprintf("---\n# default image\napiVersion: run.tanzu.vmware.com/v1alpha3\nkind: OSImage\nmetadata:\n  name: %s\n  labels:\n    image-type: ova\n    os-name: %s\nspec:\n  kubernetesVersion: %s\n  os: {type: linux, name: %s, version: %q, arch: amd64}\n  image:\n    type: ova\n    ref: {version: %s-%s}\n",
				image, osName, semver, osName, version, tkr, osID)
			if err := os.WriteFile(filepath.Join(config, "OSImage-"+image+".yml"), []byte(doc), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		tkrDoc := fmt.Sprintf("apiVersion: run.tanzu.vmware.com/v1alpha3\nkind: TanzuKubernetesRelease\nmetadata:\n  name: %s\nspec:\n  version: %s\n  kubernetes:\n    version: %s\n  # images\n  osImages:\n%s  bootstrapPackages:\n  - name: antrea\n",
			name, tkr, semver, refs.String())
		if err := os.WriteFile(filepath.Join(config, "TanzuKubernetesRelease.yml"), []byte(tkrDoc), 0o644); err != nil {
			b.Fatal(err)
		}
		records = append(records, published("vsphere", "ubuntu-2204", tkr, true, fmt.Sprintf("%x", i%16)))
		records[i].VSphere.Version = fmt.Sprintf("%s-custom%03d", tkr, i)
	}
	return dir, records
}

// BenchmarkEdit500Files100Images loads a 500-file catalog from disk, points it at 100 new
// images (creating 100 OSImages, editing 100 TKrs, checking the invariants after each record)
// and, in the "write" case, writes the 201 changed files atomically (each synced).
func BenchmarkEdit500Files100Images(b *testing.B) {
	src, records := benchCatalog(b)
	for _, write := range []bool{false, true} {
		name := "edit"
		if write {
			name = "edit+write"
		}
		b.Run(name, func(b *testing.B) {
			out := b.TempDir()
			b.ReportAllocs()
			for b.Loop() {
				c, err := Load(os.DirFS(src), nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Apply(records, ApplyOptions{}); err != nil {
					b.Fatal(err)
				}
				changes, err := c.Changes()
				if err != nil {
					b.Fatal(err)
				}
				if len(changes) != 201 {
					b.Fatalf("%d files changed, want 201", len(changes))
				}
				if write {
					if err := changeset.WriteDir(out, changes); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
