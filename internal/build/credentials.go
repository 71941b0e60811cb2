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
	federated, tokenSignIn, alt := oneOf(want, lookup, getenv, c.ImageBuilder.Version)
	creds.federated, creds.tokenSignIn = federated, tokenSignIn
	if alt != "" {
		missing = append(missing, alt)
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

// oneOf resolves want's alternatives: none needed, one set, or the federated token file
// build provides itself in a GitHub Actions job allowed an ID token (fetch names its
// variable). tokenSignIn is true when the build signs in with a federated token file, its own
// or one the environment names, which Image Builder ibVersion's targets must take; otherwise
// missing says what to set.
func oneOf(want imagebuilder.Credentials, lookup, getenv func(string) string, ibVersion string) (fetch string, tokenSignIn bool, missing string) {
	if len(want.OneOf) == 0 {
		return "", false, ""
	}
	other := slices.ContainsFunc(want.OneOf, func(name string) bool { return name != want.FederatedTokenFile && lookup(name) != "" })
	if other {
		return "", false, ""
	}
	hasFile := want.FederatedTokenFile != "" && lookup(want.FederatedTokenFile) != ""
	if !hasFile && (want.FederatedTokenFile == "" || !ghoidc.Available(getenv)) {
		missing = strings.Join(want.OneOf, " or ")
		if want.FederatedTokenFile != "" {
			missing += " (or run in a GitHub Actions job with permissions id-token: write)"
		}
		return "", false, missing
	}
	if err := imagebuilder.CheckAzureFederated(ibVersion); err != nil {
		return "", false, fmt.Sprintf("a client secret (%v)", err)
	}
	if !hasFile {
		fetch = want.FederatedTokenFile
	}
	return fetch, true, ""
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
