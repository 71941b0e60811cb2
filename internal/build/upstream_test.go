package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/imagegrid/imagegrid/internal/actions"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/moto"
)

// The tests in this file build against the stand-in where it models an upstream default or
// refusal that imagegrid has to work around (see testdata/imagebuilder/README.md).

// A retry after the VM booted and a rebuild of the same cell meet the VM of the earlier
// attempt: upstream's packer-node.json keeps it (destroy: false) under the name
// build_version, and packer-plugin-vsphere refuses to create it again without -force.
func TestRetryAndRebuildReplaceTheBuildVM(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := vsphereCell("ubuntu-2204", "22.04")
	// The environment's own PACKER_FLAGS stay beside -force (the stand-in reads -force from them).
	o := makeOptions(t, "STANDIN_TRANSIENT_FAILURES=1", "PACKER_FLAGS=-on-error=abort")
	res, err := Build(context.Background(), c, o)
	if err != nil || res.Record.Attempts != 2 {
		t.Fatalf("Build: %v after %d attempts\n%s", err, res.Record.Attempts, o.Console)
	}
	if _, err := Build(context.Background(), c, o); err != nil {
		t.Fatalf("rebuild: %v\n%s", err, o.Console)
	}
	logData, err := os.ReadFile(filepath.Join(o.WorkDir, c.ID, "build.log"))
	if err != nil {
		t.Fatal(err)
	}
	// The VM is placed in the grid's folder, relative to the datacenter's VM folder.
	mustContain(t, "log", string(logData), "the vm/template imagegrid/"+c.ID+" already exists, but deleting it due to -force flag")
	mustContain(t, "log", string(logData), "Creating virtual machine imagegrid/"+c.ID+" on Cluster")
	mustContain(t, "log", string(logData), "-on-error=abort -force")
}

// Upstream's packer/ami/packer.json makes the AMI and its snapshot public (ami_groups and
// snapshot_groups "all") unless told otherwise; only the grid's aws.public may.
func TestAMIIsPublicOnlyWhenTheGridSaysSo(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	server := moto.Start(t)
	for _, public := range []bool{false, true} {
		name := "private"
		if public {
			name = "public"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := awsCell()
			c.ID += "-" + name
			c.Publish.AWS.Public = public
			o := makeOptions(t, "AWS_ENDPOINT_URL="+server.URL,
				"AWS_ACCESS_KEY_ID="+moto.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+moto.SecretAccessKey)
			res, err := Build(context.Background(), c, o)
			if err != nil {
				t.Fatalf("Build: %v\n%s", err, o.Console)
			}
			amis := res.Record.Artifacts.AMI
			if len(amis) != 1 || amis[0].Region != "us-west-2" {
				t.Fatalf("AMIs = %+v, want one, in the grid's first region us-west-2", amis)
			}
			ec := server.EC2(amis[0].Region)
			attr, err := ec.DescribeImageAttribute(context.Background(), &ec2.DescribeImageAttributeInput{
				ImageId: &amis[0].ID, Attribute: types.ImageAttributeNameLaunchPermission,
			})
			if err != nil {
				t.Fatal(err)
			}
			isPublic := slices.ContainsFunc(attr.LaunchPermissions, func(p types.LaunchPermission) bool { return p.Group == types.PermissionGroupAll })
			if isPublic != public {
				t.Errorf("AMI %s public = %v, want %v (launch permissions %+v)", amis[0].ID, isPublic, public, attr.LaunchPermissions)
			}
		})
	}
}

// A RHEL build boots the ISO its var files name (upstream's is a placeholder) and registers
// with Red Hat with RHSM_USER/RHSM_PASS, which never reach the log.
func TestRHELWithStandIn(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	root := t.TempDir()
	iso := filepath.Join(root, "rhel-9.4-x86_64-dvd.iso")
	if err := os.WriteFile(iso, []byte("not really an ISO, but the bytes its checksum covers"), 0o644); err != nil {
		t.Fatal(err)
	}
	isoData, _ := os.ReadFile(iso)
	sum := sha256.Sum256(isoData)
	vars, _ := json.Marshal(map[string]string{"iso_url": "file://" + iso, "iso_checksum": "sha256:" + hex.EncodeToString(sum[:])})
	if err := os.WriteFile(filepath.Join(root, "rhel-iso.json"), vars, 0o644); err != nil {
		t.Fatal(err)
	}
	c := rhelCell()
	c.VarFiles = []record.VarFile{{Path: "rhel-iso.json", SHA256: testKeyBytes(vars)}}
	o := makeOptions(t, "RHSM_USER=rh-builder", "RHSM_PASS=s3cret-rhsm-pass")
	o.VarsRoot = root
	res, err := Build(context.Background(), c, o)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, o.Console)
	}
	if got := res.Record.Artifacts.OVA.Properties["DISTRO_NAME"]; got != "rhel" {
		t.Errorf("DISTRO_NAME = %q", got)
	}
	logData, err := os.ReadFile(filepath.Join(o.WorkDir, c.ID, "build.log"))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "log", string(logData), "Using ISO "+iso)
	for _, text := range []string{string(logData), o.Console.(interface{ String() string }).String()} {
		if strings.Contains(text, "s3cret-rhsm-pass") {
			t.Error("RHSM_PASS reached the log or console")
		}
	}
}

// Upstream's init-sig.sh makes a new Compute Gallery for every build unless told which one
// to use, and packer-plugin-azure's artifact id is the managed image: the record must name
// the gallery image version in the grid's gallery.
func TestAzureBuildUsesTheGridsGallery(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := azureCell()
	o := makeOptions(t, "AZURE_SUBSCRIPTION_ID=00000000-1111-2222-3333-444444444444", "AZURE_TENANT_ID=tenant",
		"AZURE_CLIENT_ID=client", "AZURE_CLIENT_SECRET=s3cret-azure-secret")
	o.Actions = actions.New(o.Console, func(name string) string {
		if name == "GITHUB_ACTIONS" {
			return "true"
		}
		return ""
	})
	res, err := Build(context.Background(), c, o)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, o.Console)
	}
	const rg = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/tkg-images/providers/Microsoft.Compute/"
	var kinds []string
	for _, a := range res.Record.Artifacts.Azure {
		kinds = append(kinds, a.Kind)
		prefix := rg + "images/capi-ubuntu-2204-"
		if a.Kind == "galleryImageVersion" {
			prefix = rg + "galleries/tkg_gallery/images/capi-ubuntu-2204/versions/0.3."
		}
		if !strings.HasPrefix(a.ID, prefix) {
			t.Errorf("%s %s, want it under %s", a.Kind, a.ID, prefix)
		}
	}
	if strings.Join(kinds, ",") != "managedImage,galleryImageVersion" {
		t.Errorf("Azure artifacts %+v, want the managed image and the gallery image version", res.Record.Artifacts.Azure)
	}
	galleries, err := os.ReadDir(filepath.Join(o.WorkDir, c.ID, "packer-cache", "standin-azure", "galleries", "tkg-images"))
	if err != nil || len(galleries) != 1 || galleries[0].Name() != "tkg_gallery" {
		t.Errorf("galleries the build created or used: %v %v, want only tkg_gallery", galleries, err)
	}
	logData, err := os.ReadFile(filepath.Join(o.WorkDir, c.ID, "build.log"))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "log", string(logData), "(location westeurope)")
	console := o.Console.(interface{ String() string }).String()
	mustContain(t, "console", console, "cell "+c.ID+": azure signs in with AZURE_CLIENT_SECRET\n")
	mustContain(t, "console", console, "::add-mask::s3cret-azure-secret\n")
	if strings.Contains(string(logData), "s3cret-azure-secret") || strings.Count(console, "s3cret-azure-secret") != 1 {
		t.Errorf("the Azure secret shows beyond its ::add-mask:: line:\nlog:\n%s\nconsole:\n%s", logData, console)
	}
}

// In a GitHub Actions job allowed an ID token and without a client secret, an Azure build
// logs in as upstream's init-sig.sh does with AZURE_FEDERATED_TOKEN_FILE: build fetches the
// job's OIDC token for Microsoft Entra ID, hands it over in a private file, and removes it.
func TestAzureBuildSignsInWithGitHubOIDC(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	var audiences []string
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer request-token" {
			http.Error(w, "bad request token", http.StatusUnauthorized)
			return
		}
		audiences = append(audiences, r.URL.Query().Get("audience"))
		fmt.Fprint(w, `{"value": "github-oidc-token-for-azure"}`)
	}))
	defer gh.Close()
	c := azureCell()
	o := makeOptions(t, "AZURE_SUBSCRIPTION_ID=00000000-1111-2222-3333-444444444444", "AZURE_TENANT_ID=tenant",
		"AZURE_CLIENT_ID=client", "ACTIONS_ID_TOKEN_REQUEST_URL="+gh.URL+"/token", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=request-token")
	if _, err := Build(context.Background(), c, o); err != nil {
		t.Fatalf("Build: %v\n%s", err, o.Console)
	}
	if len(audiences) != 1 || audiences[0] != "api://AzureADTokenExchange" {
		t.Errorf("ID tokens asked for audiences %q; want one for api://AzureADTokenExchange", audiences)
	}
	logData, err := os.ReadFile(filepath.Join(o.WorkDir, c.ID, "build.log"))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "log", string(logData), "--federated-token $(cat ")
	mustContain(t, "console", o.Console.(interface{ String() string }).String(), "azure signs in with the job's GitHub OIDC token, in AZURE_FEDERATED_TOKEN_FILE (Image Builder v0.1.55 reads it)")
	for _, text := range []string{string(logData), o.Console.(interface{ String() string }).String()} {
		if strings.Contains(text, "github-oidc-token-for-azure") {
			t.Error("the OIDC token reached the log or console")
		}
	}
	if _, err := os.Stat(filepath.Join(o.WorkDir, c.ID, "vars", "azure-federated-token")); !os.IsNotExist(err) {
		t.Errorf("the token file is still in the workspace (%v)", err)
	}
}
