// Package ghoidc fetches the OIDC token of a GitHub Actions job (one allowed to, with
// permissions id-token: write) for workload identity federation: the cloud trusts GitHub's
// token for the repository instead of a stored secret.
package ghoidc

import (
	"context"
	"fmt"

	"github.com/sethvargo/go-githubactions"
)

// AzureAudience is the audience of the token Microsoft Entra ID exchanges for an access token
// (a federated identity credential's default audience).
const AzureAudience = "api://AzureADTokenExchange"

// Available reports whether the job may request an ID token: GitHub sets
// ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN only then.
func Available(getenv func(string) string) bool {
	return getenv("ACTIONS_ID_TOKEN_REQUEST_URL") != "" && getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN") != ""
}

// Token fetches a fresh ID token of the job for audience with go-githubactions' GetIDToken.
// The request token and the ID token are handed to mask before anything else is done with
// them.
func Token(ctx context.Context, getenv func(string) string, audience string, mask func(string)) (string, error) {
	mask(getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))
	token, err := githubactions.New(githubactions.WithGetenv(getenv)).GetIDToken(ctx, audience)
	if err != nil {
		return "", fmt.Errorf("GitHub OIDC token for %s: %w", audience, err)
	}
	mask(token)
	return token, nil
}
