package imagebuilder

import "github.com/imagegrid/imagegrid/internal/record"

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
		// Upstream's packer/azure/scripts/init-sig.sh (v0.1.55) logs the az CLI in, which
		// packer-plugin-azure then uses (packer/azure/azure-config.json: use_azure_cli_auth),
		// with the federated token in the file AZURE_FEDERATED_TOKEN_FILE names when it is
		// set, with AZURE_CLIENT_SECRET otherwise.
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
