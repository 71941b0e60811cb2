package ova_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/imagegrid/imagegrid/internal/ova"
	"github.com/imagegrid/imagegrid/internal/testutil/ovatest"
)

func TestReadLayoutLocatesTheVMDKInPlace(t *testing.T) {
	t.Parallel()
	made := ovatest.Make(t, t.TempDir(), ovatest.Spec{Name: "node", DiskBytes: 1 << 20, Properties: map[string]string{"CONTAINERD_VERSION": "1.7.18"}})
	f, err := os.Open(made.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lay, err := ova.ReadLayout(f)
	if err != nil {
		t.Fatal(err)
	}
	if lay.Properties["CONTAINERD_VERSION"] != "1.7.18" {
		t.Errorf("properties %v", lay.Properties)
	}
	disks := lay.Disks
	if len(disks) != 1 || disks[0].Name != "node-disk-0.vmdk" || disks[0].Offset%512 != 0 || disks[0].Size == 0 {
		t.Fatalf("disks %+v, want node-disk-0.vmdk at a block boundary", disks)
	}
	head := make([]byte, 4)
	if _, err := io.NewSectionReader(f, disks[0].Offset, disks[0].Size).ReadAt(head, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(head, []byte("KDMV")) {
		t.Fatalf("the member starts with %q, want the VMDK magic KDMV", head)
	}
}

func TestReadLayoutRefusesWhatIsNotAnOVA(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/capi.ovf") // not a tar at all
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := ova.ReadLayout(f); err == nil {
		t.Fatal("no error for a file that is not an OVA")
	}
}
