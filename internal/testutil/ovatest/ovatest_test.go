package ovatest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

func TestMakeIsGenuine(t *testing.T) {
	ova := Make(t, t.TempDir(), Spec{Name: "node", DiskBytes: 3 << 20, Properties: map[string]string{"VERSION": "v1+x", "DISTRO_NAME": "ubuntu"}})
	read, err := Members(ova.Path)
	if err != nil {
		t.Fatal(err)
	}
	members := map[string][]byte{}
	var order []string
	for _, m := range read {
		members[m.Name] = m.Data
		order = append(order, m.Name)
	}
	if strings.Join(order, ",") != "node.ovf,node.mf,node-disk-0.vmdk" {
		t.Fatalf("members = %v; want Image Builder's order: the descriptor, the manifest, the disk", order)
	}
	if sum := sha256.Sum256(members["node.mf"]); ova.ManifestSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("ManifestSHA256 = %s, want the manifest's %x", ova.ManifestSHA256, sum)
	}
	vmdk := members["node-disk-0.vmdk"]
	if !bytes.HasPrefix(vmdk, []byte("KDMV")) || !bytes.Contains(vmdk[:64<<10], []byte(`createType="streamOptimized"`)) {
		t.Error("the disk is not a streamOptimized VMDK")
	}
	ovf := string(members["node.ovf"])
	for _, s := range []string{`ovf:key="VERSION" ovf:type="string" ovf:userConfigurable="false" ovf:value="v1+x"`, `ovf:capacity="3"`, "<Category>Cluster API Provider (CAPI)</Category>"} {
		if !strings.Contains(ovf, s) {
			t.Errorf("descriptor lacks %s", s)
		}
	}
	for _, name := range []string{"node.ovf", "node-disk-0.vmdk"} {
		sum := sha256.Sum256(members[name])
		if line := fmt.Sprintf("SHA256(%s)= %s\n", name, hex.EncodeToString(sum[:])); !strings.Contains(string(members["node.mf"]), line) {
			t.Errorf("manifest lacks %q", line)
		}
	}
}
