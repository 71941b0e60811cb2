package build

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/ghoidc"
	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/record"
)

// envFile is a docker-style env file: NAME=value lines, # comments and blank lines.
type envFile struct {
	path   string
	values map[string]string
}

// readEnvFile reads an env file; a malformed line is an error naming the file and line.
func readEnvFile(path string) (envFile, error) {
	f := envFile{path: path, values: map[string]string{}}
	if path == "" {
		return f, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("read env file: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || !validEnvName(name) {
			return f, fmt.Errorf("%s:%d: want NAME=value (NAME of letters, digits and _), got a line without one", path, n)
		}
		f.values[name] = value
	}
	return f, sc.Err()
}

func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	return strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == ""
}

// credentials are the secrets one build uses and how they reach Image Builder.
type credentials struct {
	// fromEnv are the credential names set in build's environment (passed on by name).
	fromEnv []string
	// file is the env file, if any (all its values count as secrets).
	file envFile
	// vsphere are vSphere credentials to write to a var file, nil when not needed.
	vsphere map[string]string
	// secrets are every secret value, to mask and to redact from logs.
	secrets []string
	// federated names the variable that must point at a file holding the job's GitHub OIDC
	// token ("" when a credential of OneOf is set): the build fetches the token when it
	// starts.
	federated string
	// tokenSignIn is true when Image Builder signs in with a federated token file (build's
	// or the environment's) rather than a secret: packer then uses the az CLI's login.
	tokenSignIn bool
	// signIn says which of the alternatives Image Builder signs in with and why (names,
	// never values); "" when the infrastructure has none.
	signIn string
}

// resolveCredentials finds the credentials a build of cell c needs, in the environment or the
// env file, and names every missing one. userVars are the merged user var files: vSphere
// credentials there make the environment ones unnecessary.
func resolveCredentials(c record.Cell, getenv func(string) string, file envFile, userVars map[string]any) (credentials, error) {
	cellID, infra, osName := c.ID, c.Infra, c.OS.Name
	want := imagebuilder.CredentialsFor(infra, osName)
	creds := credentials{file: file}
	lookup := func(name string) string {
		if v, ok := file.values[name]; ok {
			return v
		}
		return getenv(name)
	}
	if len(want.VarFileKeys) > 0 && allSet(userVars, want.VarFileKeys) {
		want.Required = nil
		for _, k := range want.VarFileKeys {
			creds.addSecret(userVars[k].(string))
		}
	}
	needVSphere := infra == record.InfraVSphere && len(want.Required) > 0
	want.Required = append(want.Required, want.OS...)
	var missing []string
	for _, name := range want.Required {
		if lookup(name) == "" {
			missing = append(missing, name)
		}
	}
	alt := oneOf(want, lookup, getenv, c.ImageBuilder.Version)
	creds.federated, creds.tokenSignIn, creds.signIn = alt.fetch, alt.tokenSignIn, alt.signIn
	if alt.missing != "" {
		missing = append(missing, alt.missing)
	}
	if len(missing) > 0 {
		where := "the environment"
		if file.path != "" {
			where += " or " + file.path
		}
		msg := fmt.Sprintf("cell %s: %s credentials missing: %s not set in %s", cellID, infra, strings.Join(missing, ", "), where)
		if needVSphere && slices.ContainsFunc(missing, func(m string) bool { return !slices.Contains(want.OS, m) }) {
			msg += fmt.Sprintf(" (or set %s in a var file)", strings.Join(want.VarFileKeys, ", "))
		}
		if len(want.OS) > 0 {
			msg += fmt.Sprintf("; a %s image needs %s", osName, strings.Join(want.OS, " and "))
		}
		return creds, fmt.Errorf("%s", msg)
	}
	creds.collect(want, getenv, lookup, needVSphere)
	return creds, nil
}

// collect keeps what a build found of the credentials it wants: the names set in the
// environment rather than the env file, the vSphere variables when it needs them, and every
// secret value, to mask.
func (c *credentials) collect(want imagebuilder.Credentials, getenv, lookup func(string) string, needVSphere bool) {
	for _, name := range slices.Concat(want.Required, want.OneOf, want.Optional, want.Settings) {
		if _, inFile := c.file.values[name]; !inFile && getenv(name) != "" {
			c.fromEnv = append(c.fromEnv, name)
		}
	}
	if needVSphere {
		c.vsphere = imagebuilder.VSphereVars(lookup)
	}
	for _, name := range slices.Concat(want.Required, want.OneOf, want.Optional) {
		c.addSecret(lookup(name))
	}
	for name, v := range c.file.values {
		if !slices.Contains(want.Settings, name) {
			c.addSecret(v)
		}
	}
}

// signInChoice is how a build signs in when its infrastructure offers alternatives.
type signInChoice struct {
	// fetch names the variable of the federated token file build fetches itself ("" when
	// the environment names one, or no token is used).
	fetch string
	// tokenSignIn is true when Image Builder signs in with a federated token file.
	tokenSignIn bool
	// signIn says which alternative is used and why, for the build's plan.
	signIn string
	// missing says what to set when no alternative is usable.
	missing string
}

// oneOf resolves want's alternatives the way Image Builder ibVersion picks among them. A
// federated token (a file the environment names, or the one build fetches itself in a
// GitHub Actions job allowed an ID token) wins over a secret when ibVersion's targets read
// it: from v0.1.31 upstream's packer/azure/scripts/init-sig.sh logs in with
// AZURE_FEDERATED_TOKEN_FILE when it is set and with AZURE_CLIENT_SECRET otherwise, and
// packer-plugin-azure's builder/azure/common/client/config.go takes use_azure_cli_auth
// before client_secret. An older release signs in with the secret only.
func oneOf(want imagebuilder.Credentials, lookup, getenv func(string) string, ibVersion string) signInChoice {
	if len(want.OneOf) == 0 {
		return signInChoice{}
	}
	secret := setSecret(want, lookup)
	hasFile := want.FederatedTokenFile != "" && lookup(want.FederatedTokenFile) != ""
	token := hasFile || (want.FederatedTokenFile != "" && ghoidc.Available(getenv))
	var tokenErr error
	if token {
		tokenErr = imagebuilder.CheckAzureFederated(ibVersion)
	}
	switch {
	case token && tokenErr == nil:
		return tokenChoice(want.FederatedTokenFile, hasFile, secret, ibVersion)
	case secret != "" && token:
		return signInChoice{signIn: fmt.Sprintf("%s (Image Builder %s reads no federated token)", secret, ibVersion)}
	case secret != "":
		return signInChoice{signIn: secret}
	case token:
		return signInChoice{missing: fmt.Sprintf("a client secret (%v)", tokenErr)}
	}
	missing := strings.Join(want.OneOf, " or ")
	if want.FederatedTokenFile != "" {
		missing += " (or run in a GitHub Actions job with permissions id-token: write)"
	}
	return signInChoice{missing: missing}
}

// setSecret names the first of want.OneOf that is set and is not the federated token file,
// "" when none is.
func setSecret(want imagebuilder.Credentials, lookup func(string) string) string {
	for _, name := range want.OneOf {
		if name != want.FederatedTokenFile && lookup(name) != "" {
			return name
		}
	}
	return ""
}

// tokenChoice is the sign-in with the federated token in the file variable names: the
// environment's (hasFile) or the one build fetches; secret names a client secret set beside it.
func tokenChoice(variable string, hasFile bool, secret, ibVersion string) signInChoice {
	choice := signInChoice{tokenSignIn: true, signIn: fmt.Sprintf("the federated token in %s (Image Builder %s reads it", variable, ibVersion)}
	if !hasFile {
		choice.fetch = variable
		choice.signIn = fmt.Sprintf("the job's GitHub OIDC token, in %s (Image Builder %s reads it", variable, ibVersion)
	}
	if secret != "" {
		choice.signIn += "; " + secret + " is set but not used"
	}
	choice.signIn += ")"
	return choice
}

func (c *credentials) addSecret(v string) {
	if v != "" && !slices.Contains(c.secrets, v) {
		c.secrets = append(c.secrets, v)
	}
}

func allSet(vars map[string]any, keys []string) bool {
	for _, k := range keys {
		if s, _ := vars[k].(string); s == "" {
			return false
		}
	}
	return true
}
