package imagebuilder

import (
	"fmt"

	"github.com/hashicorp/go-version"
	"github.com/imagegrid/imagegrid/internal/record"
)

// Credentials names the environment variables that carry an infrastructure's credentials.
type Credentials struct {
	// Required must all be set (from the environment or an env file) before a build starts.
	Required []string
	// Optional are passed on when set.
	Optional []string
	// Settings are passed on when set too, but are not secret (regions, endpoints): they are
	// neither masked nor redacted from logs.
	Settings []string
	// VarFileKeys are the packer variables that can hold the same credentials in a user var
	// file instead (vSphere); when every one is set there, Required is not needed.
	VarFileKeys []string
	// OS are required by the cell's operating system, wherever it is built.
	OS []string
	// OneOf are alternatives of which one must be set, beside Required.
	OneOf []string
	// FederatedTokenFile, when set, is the one of OneOf a build can provide itself in a
	// GitHub Actions job allowed an ID token: the variable naming a private file that holds
	// the job's OIDC token.
	FederatedTokenFile string
}

// CredentialsFor returns the credentials a build of osName (a cell's os.name) on infra needs.
func CredentialsFor(infra, osName string) Credentials {
	creds := infraCredentials(infra)
	if osName == "rhel" {
		// Upstream ansible/roles/setup/tasks/redhat.yml registers the VM with Red Hat only
		// when both are set in the environment, and skips it silently otherwise: the build
		// then fails later, when no RHEL repository is reachable.
		creds.OS = []string{"RHSM_USER", "RHSM_PASS"}
	}
	return creds
}

func infraCredentials(infra string) Credentials {
	switch infra {
	case record.InfraVSphere:
		return Credentials{
			Required:    []string{"VSPHERE_SERVER", "VSPHERE_USERNAME", "VSPHERE_PASSWORD"},
			VarFileKeys: []string{"vcenter_server", "username", "password"},
		}
	case record.InfraAWS:
		return Credentials{
			Required: []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
			Optional: []string{"AWS_SESSION_TOKEN"},
			Settings: []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2"},
		}
	case record.InfraAzure:
		// Upstream's packer/azure/scripts/init-sig.sh, sourced by the build-azure-sig-
		// targets, logs the az CLI in with the federated token in the file
		// AZURE_FEDERATED_TOKEN_FILE names when it is set, with AZURE_CLIENT_SECRET otherwise
		// (from v0.1.31; CheckAzureFederated). packer-plugin-azure signs in on its own:
		// with client_secret, or with that az CLI login when use_azure_cli_auth is true
		// (AzureCLIAuthVars).
		return Credentials{
			Required:           []string{"AZURE_SUBSCRIPTION_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_ID"},
			OneOf:              []string{"AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"},
			FederatedTokenFile: "AZURE_FEDERATED_TOKEN_FILE",
		}
	}
	return Credentials{}
}

// VSphereVars maps vSphere credentials from the environment to Image Builder's variables.
func VSphereVars(getenv func(string) string) map[string]string {
	return map[string]string{
		"vcenter_server": getenv("VSPHERE_SERVER"),
		"username":       getenv("VSPHERE_USERNAME"),
		"password":       getenv("VSPHERE_PASSWORD"),
	}
}

// azureFederatedSince is the first Image Builder release whose Azure targets can sign in
// without a client secret: kubernetes-sigs/image-builder commit 84e864a05 ("Allow Azure auth
// with federated token in scripts", v0.1.31) taught packer/azure/scripts/init-sig.sh to
// read AZURE_FEDERATED_TOKEN_FILE and packer/azure/packer.json to take use_azure_cli_auth
// (azure-config.json: USE_AZURE_CLI_AUTH). v0.1.30's init-sig.sh runs
// "az login -p ${AZURE_CLIENT_SECRET}" and its packer.json has client_secret only.
const azureFederatedSince = "0.1.31"

// CheckAzureFederated returns nil when Image Builder version v's Azure targets can sign in
// with a GitHub OIDC token (AZURE_FEDERATED_TOKEN_FILE), and otherwise an error that names
// what they need instead.
func CheckAzureFederated(v string) error {
	parsed, err := ParseVersion(v)
	if err != nil {
		return err
	}
	if parsed.LessThan(version.Must(version.NewVersion(azureFederatedSince))) {
		return fmt.Errorf("the Azure targets of Image Builder %s sign in with a client secret only: "+
			"packer/azure/scripts/init-sig.sh reads AZURE_FEDERATED_TOKEN_FILE from v%s on; "+
			"set AZURE_CLIENT_SECRET (in images.yml: the secret azure-client-secret) or build with Image Builder v%s or later", v, azureFederatedSince, azureFederatedSince)
	}
	return nil
}

// AzureCLIAuthVars are the packer variables that make packer-plugin-azure use the az CLI's
// login, which init-sig.sh makes with the federated token. init-sig.sh logs in only while
// USE_AZURE_CLI_AUTH is not "True" (that says a login happened before it), so the variable is
// set in a var file, which the Makefile passes after azure-config.json, rather than in the
// environment. packer-plugin-azure's builder/azure/common/client/config.go would otherwise
// take a client id without secret or tenant for its managed identity.
func AzureCLIAuthVars() map[string]string {
	return map[string]string{"use_azure_cli_auth": "True"}
}
