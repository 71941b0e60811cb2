package azure

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/imagegrid/imagegrid/internal/ghoidc"
	"github.com/imagegrid/imagegrid/internal/publishconfig"
)

// Sign-in methods Credential chooses between.
const (
	MethodOIDC   = "GitHub OIDC (workload identity federation)"
	MethodSecret = "client secret"
)

// CredentialOptions are the sign-in's client options: the cloud (its authority host), a
// transport; DisableInstanceDiscovery for an authority Microsoft's instance discovery does
// not know (Azure Stack, a test's).
type CredentialOptions struct {
	azcore.ClientOptions
	DisableInstanceDiscovery bool
}

// Cloud returns the options of the ARM clients and of the sign-in for the cloud cfg names:
// Azure's public cloud unless it sets an endpoint and authority host.
func Cloud(cfg *publishconfig.Azure) (*arm.ClientOptions, CredentialOptions) {
	if cfg.Endpoint == "" {
		return nil, CredentialOptions{}
	}
	c := cloud.Configuration{
		ActiveDirectoryAuthorityHost: cfg.AuthorityHost,
		Services:                     map[cloud.ServiceName]cloud.ServiceConfiguration{cloud.ResourceManager: {Endpoint: cfg.Endpoint, Audience: cfg.Endpoint}},
	}
	return &arm.ClientOptions{ClientOptions: azcore.ClientOptions{Cloud: c}},
		CredentialOptions{ClientOptions: azcore.ClientOptions{Cloud: c}, DisableInstanceDiscovery: true}
}

// Credential is how publish signs in to Azure, read from the environment: AZURE_TENANT_ID
// and AZURE_CLIENT_ID name the application (or user-assigned identity), and
//
//   - in a GitHub Actions job allowed to request an ID token (permissions id-token: write,
//     which sets ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN), each client assertion is a fresh
//     ID token for ghoidc.AzureAudience, fetched with go-githubactions' GetIDToken: no secret, no login
//     action and no az CLI; the application needs a federated credential for the
//     repository (docs/publish.md);
//   - otherwise AZURE_CLIENT_SECRET is the application's client secret.
//
// Every token and secret is handed to mask before it is used.
func Credential(getenv func(string) string, mask func(string), opts CredentialOptions) (azcore.TokenCredential, string, error) {
	tenant, client := getenv("AZURE_TENANT_ID"), getenv("AZURE_CLIENT_ID")
	var missing []string
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID"} {
		if getenv(k) == "" {
			missing = append(missing, k)
		}
	}
	oidc := ghoidc.Available(getenv)
	secret := getenv("AZURE_CLIENT_SECRET")
	if !oidc && secret == "" {
		missing = append(missing, "AZURE_CLIENT_SECRET (or, in GitHub Actions, permissions: id-token: write for OIDC)")
	}
	if len(missing) > 0 {
		return nil, "", fmt.Errorf("azure credentials: %s not set", strings.Join(missing, ", "))
	}
	if oidc {
		assertion := func(ctx context.Context) (string, error) {
			return ghoidc.Token(ctx, getenv, ghoidc.AzureAudience, mask)
		}
		cred, err := azidentity.NewClientAssertionCredential(tenant, client, assertion, &azidentity.ClientAssertionCredentialOptions{ClientOptions: opts.ClientOptions, DisableInstanceDiscovery: opts.DisableInstanceDiscovery})
		if err != nil {
			return nil, "", fmt.Errorf("azure credentials (%s): %w", MethodOIDC, err)
		}
		return cred, MethodOIDC, nil
	}
	mask(secret)
	cred, err := azidentity.NewClientSecretCredential(tenant, client, secret, &azidentity.ClientSecretCredentialOptions{ClientOptions: opts.ClientOptions, DisableInstanceDiscovery: opts.DisableInstanceDiscovery})
	if err != nil {
		return nil, "", errors.Join(fmt.Errorf("azure credentials (%s)", MethodSecret), err)
	}
	return cred, MethodSecret, nil
}
