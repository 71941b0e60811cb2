package workflowlint

import (
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

const (
	awsCredentialsAction = "aws-actions/configure-aws-credentials"
	githubScriptAction   = "actions/github-script"
)

var (
	expression = regexp.MustCompile(`(?s)\$\{\{(.*?)\}\}`)
	commitSHA  = regexp.MustCompile(`^[0-9a-f]{40}$`)
	// versionComment is what a pin's line comment must hold: the release the SHA is.
	versionComment = regexp.MustCompile(`^#\s*v?\d+(\.\d+)*\S*`)

	// untrustedEvent matches, in a normalised expression, event data that whoever opens an
	// issue, a pull request or a comment, or pushes a branch, controls.
	untrustedEvent = []*regexp.Regexp{
		regexp.MustCompile(`github\.head_ref\b`),
		regexp.MustCompile(`github\.event(\.[\w*-]+)*\.(title|body|message|page_name|head_branch|display_title)\b`),
		regexp.MustCompile(`github\.event(\.[\w*-]+)*\.head\.(ref|label)\b`),
		regexp.MustCompile(`github\.event(\.[\w*-]+)*\.head(\.repo|_repository)\.(default_branch|description|homepage)\b`),
		regexp.MustCompile(`github\.event(\.[\w*-]+)*\.(author|committer)\.(name|email)\b`),
		regexp.MustCompile(`github\.event($|[^.\w])`),
	}
	// actionInput matches the inputs of an action: its caller, not the action, decides them.
	actionInput = regexp.MustCompile(`(^|[^.\w])inputs\.[\w-]+`)

	quotedIndex = regexp.MustCompile(`\[\s*['"]([^'"]*)['"]\s*\]`)
	anyIndex    = regexp.MustCompile(`\[\s*(\*|\d+)\s*\]`)
	whitespace  = regexp.MustCompile(`\s+`)

	// vsphereLegs and oidcLegs match, in a normalised expression, the shards matrix
	// --split-by-needs emits for the jobs of vSphere legs and of cloud-identity legs
	// (internal/emit); vsphereSecret a secret of the vCenter credentials.
	vsphereLegs   = regexp.MustCompile(`outputs\.vsphere-matrix-\d+`)
	oidcLegs      = regexp.MustCompile(`outputs\.oidc-matrix-\d+`)
	vsphereSecret = regexp.MustCompile(`secrets\.vsphere[\w-]*`)

	// namedSecret and azureCellSecret are, normalised, the values AZURE_CLIENT_SECRET may
	// take: a named secret (publish), and a named secret set for Azure cells only (build).
	namedSecret     = regexp.MustCompile(`^secrets\.[\w-]+$`)
	azureCellSecret = regexp.MustCompile(`^matrix\.cell\.infra=='azure'&&secrets\.[\w-]+\|\|''$`)
)

// CheckWorkflow applies the security rules to one workflow file: top-level permissions empty or
// read-only, pinned uses:, no untrusted event data in run:, no pull_request_target, no
// secrets: inherit, AWS through OIDC with a session long enough for an image build.
func CheckWorkflow(name string, src []byte) []Finding {
	d, ok := parse(name, src)
	if !ok {
		return d.out
	}
	onKey, on := get(d.root, "on")
	d.checkTriggers(on)
	d.checkTopPermissions(onKey)
	d.checkEnv(value(d.root, "env"), "a workflow's")
	each(value(d.root, "jobs"), func(_, job *yaml.Node) { d.checkJob(job) })
	return sortFindings(d.out)
}

// CheckAction applies the security rules to an action.yml: pinned uses:, no untrusted data
// (event data or the action's own inputs) in run:, AWS through OIDC.
func CheckAction(name string, src []byte) []Finding {
	d, ok := parse(name, src)
	if !ok {
		return d.out
	}
	runs := value(d.root, "runs")
	if image := value(runs, "image"); image != nil && strings.HasPrefix(image.Value, "docker://") {
		d.checkUses(image)
	}
	for _, step := range items(value(runs, "steps")) {
		d.checkStep(step, nil, true)
		d.checkAzureSecret(step, "")
	}
	return sortFindings(d.out)
}

func (d *doc) checkTriggers(on *yaml.Node) {
	if on == nil {
		return // actionlint reports the missing trigger
	}
	var names []*yaml.Node
	switch on.Kind {
	case yaml.ScalarNode:
		names = []*yaml.Node{on}
	case yaml.SequenceNode:
		names = items(on)
	case yaml.MappingNode:
		each(on, func(k, _ *yaml.Node) { names = append(names, k) })
	}
	for _, n := range names {
		if n.Value == "pull_request_target" {
			d.add(n, RulePullRequestTarget, "pull_request_target runs with a write token and secrets on code a fork controls; use pull_request")
		}
	}
}

func (d *doc) checkTopPermissions(onKey *yaml.Node) {
	k, v := get(d.root, "permissions")
	switch {
	case k == nil:
		d.add(onKey, RulePermissions, "no top-level permissions: every job gets the token's default scopes; add `permissions: {}` (or read-only scopes) and grant writes on the jobs that need them")
	case v.Kind == yaml.ScalarNode && v.Value != "read-all":
		d.add(v, RulePermissions, "top-level permissions %q: use {} or read-only scopes, and grant writes on the jobs that need them", v.Value)
	default:
		each(v, func(scope, level *yaml.Node) {
			if level.Value == "write" {
				d.add(level, RulePermissions, "top-level permissions grant %s: write to every job; grant it on the jobs that need it", scope.Value)
			}
		})
	}
}

func (d *doc) checkJob(job *yaml.Node) {
	perms := value(job, "permissions")
	if level, ok := scalar(perms); ok && level == "write-all" {
		d.add(perms, RulePermissions, "permissions: write-all; name the scopes the job needs")
	}
	idToken := value(perms, "id-token")
	if level, ok := scalar(idToken); !ok || level != "write" {
		idToken = nil
	}
	if v := value(job, "secrets"); v != nil && v.Value == "inherit" {
		d.add(v, RuleSecretsInherit, "secrets: inherit hands every secret to the called workflow; pass the ones it needs by name")
	}
	d.checkEnv(value(job, "env"), "a job's")
	d.checkImage(value(job, "container"))
	each(value(job, "services"), func(_, service *yaml.Node) { d.checkImage(service) })
	if uses := value(job, "uses"); uses != nil {
		d.checkUses(uses) // a reusable workflow may use the id-token it is granted
		return
	}
	matrix, _ := scalar(value(value(job, "strategy"), "matrix"))
	vsphereJob := vsphereLegs.FindString(normalize(matrix))
	assumesRole := false
	for _, step := range items(value(job, "steps")) {
		assumesRole = d.checkStep(step, idToken, false) || assumesRole
		d.checkAzureSecret(step, vsphereJob)
	}
	if idToken != nil && !assumesRole {
		d.add(idToken, RuleOIDC, "id-token: write on a job that assumes no AWS role and signs in to no Azure application; grant it only where %s runs or a step passes AZURE_CLIENT_ID", awsCredentialsAction)
	}
	d.checkLegNeeds(job, idToken)
}

// checkLegNeeds checks a job fed the legs of one group of matrix --split-by-needs against
// what that group needs: vSphere legs get no OIDC token, cloud-identity legs no vCenter
// credentials.
func (d *doc) checkLegNeeds(job, idToken *yaml.Node) {
	m, ok := scalar(value(value(job, "strategy"), "matrix"))
	if !ok {
		return
	}
	switch norm := normalize(m); {
	case vsphereLegs.MatchString(norm) && idToken != nil:
		d.add(idToken, RuleLegNeeds, "id-token: write on a job of vSphere legs (%s): they need the vCenter credentials, not an OIDC token; grant it to the oidc build jobs only", vsphereLegs.FindString(norm))
	case oidcLegs.MatchString(norm):
		walk(value(job, "steps"), func(n *yaml.Node) {
			for _, e := range expression.FindAllStringSubmatch(n.Value, -1) {
				if secret := vsphereSecret.FindString(normalize(e[1])); secret != "" {
					d.add(n, RuleLegNeeds, "%s on a job of cloud-identity legs (%s): they need an OIDC token, not the vCenter credentials; pass it to the vsphere build jobs only", secret, oidcLegs.FindString(norm))
				}
			}
		})
	}
}

// checkStep checks one step and reports whether it uses the job's OIDC token: it assumes an
// AWS role, or passes AZURE_CLIENT_ID to imagegrid, which signs in to Azure with the token
// itself. idToken is the job's `id-token: write` value (nil when not granted); inAction says
// the step is an action's.
func (d *doc) checkStep(step, idToken *yaml.Node, inAction bool) bool {
	d.checkEnv(value(step, "env"), "")
	if k, _ := get(value(step, "env"), "AZURE_CLIENT_ID"); k != nil {
		if !inAction && idToken == nil {
			d.add(k, RuleAzureOIDC, "AZURE_CLIENT_ID without `id-token: write` on its job: GitHub issues no OIDC token to sign in to Azure with")
		}
		return true
	}
	if run := value(step, "run"); run != nil {
		d.checkRun(run, inAction)
	}
	uses := value(step, "uses")
	if uses == nil {
		return false
	}
	d.checkUses(uses)
	if strings.HasPrefix(uses.Value, githubScriptAction+"@") {
		if script := value(value(step, "with"), "script"); script != nil {
			d.checkRun(script, inAction) // JavaScript, but pasted in the same way
		}
	}
	if !strings.HasPrefix(uses.Value, awsCredentialsAction+"@") {
		return false
	}
	d.checkAWSStep(uses, value(step, "with"))
	if !inAction && idToken == nil {
		d.add(uses, RuleOIDC, "%s without `id-token: write` on its job: GitHub issues no OIDC token to assume the role with", awsCredentialsAction)
	}
	return true
}

func (d *doc) checkUses(uses *yaml.Node) {
	ref := uses.Value
	switch {
	case strings.HasPrefix(ref, "./"), strings.HasPrefix(ref, "../"):
		return // this repository, at the same commit
	case strings.HasPrefix(ref, "docker://"):
		if !imageDigest.MatchString(ref) {
			d.add(uses, RulePinned, "%s is not pinned: add the image digest (docker://image@sha256:<digest>)", ref)
		}
		return
	}
	at := strings.LastIndex(ref, "@")
	if at < 0 {
		d.add(uses, RulePinned, "%s has no ref: pin it to a full commit SHA with its version as a comment (%s@<40-hex sha> # v1.2.3)", ref, ref)
		return
	}
	if !commitSHA.MatchString(ref[at+1:]) {
		d.add(uses, RulePinned, "%s is not pinned: use the full 40-hex commit SHA of the release with its version as a comment (%s@<sha> # v1.2.3)", ref, ref[:at])
		return
	}
	if !versionComment.MatchString(strings.TrimSpace(uses.LineComment)) {
		d.add(uses, RulePinned, "%s is pinned without a version comment: add the release the SHA is (# v1.2.3)", ref)
	}
}

// checkImage checks the image of a job container or service: `container: image` or a mapping
// with an image key.
func (d *doc) checkImage(container *yaml.Node) {
	image := container
	if container != nil && container.Kind == yaml.MappingNode {
		image = value(container, "image")
	}
	ref, ok := scalar(image)
	if !ok || ref == "" || strings.Contains(ref, "${{") {
		return // absent, or chosen at run time
	}
	if !imageDigest.MatchString(ref) {
		d.add(image, RulePinned, "container image %s is not pinned: add its digest (%s@sha256:<digest>)", ref, ref)
	}
}

// checkRun reports each ${{ }} in a run: (or github-script) script whose value someone outside the repository
// controls: the expression is pasted into the script before the shell parses it.
func (d *doc) checkRun(run *yaml.Node, inAction bool) {
	line, col := run.Line, run.Column
	for _, m := range expression.FindAllStringSubmatch(run.Value, -1) {
		l, c := d.locate(line, col, m[0])
		line, col = l, c+len(m[0])
		what := untrusted(m[1], inAction)
		if what == "" {
			continue
		}
		d.addAt(l, c, RuleUntrustedInput, "%s is untrusted: ${{ }} pastes it into the script before the shell reads it; pass it through env: (VALUE: %s) and use \"$VALUE\"", what, m[0])
	}
}

// untrusted returns the untrusted data expr refers to, or "".
func untrusted(expr string, inAction bool) string {
	norm := normalize(expr)
	for _, re := range untrustedEvent {
		if m := re.FindString(norm); m != "" {
			return strings.TrimRight(m, ")},")
		}
	}
	if inAction {
		if loc := actionInput.FindStringIndex(norm); loc != nil {
			return strings.TrimLeft(norm[loc[0]:loc[1]], "(!,") + " (an action input: its caller decides it)"
		}
	}
	return ""
}

// normalize lower-cases an expression, drops white space and turns index syntax into property
// syntax: github.event['pull_request'].title → github.event.pull_request.title.
func normalize(expr string) string {
	s := whitespace.ReplaceAllString(strings.ToLower(expr), "")
	s = quotedIndex.ReplaceAllString(s, ".$1")
	return anyIndex.ReplaceAllString(s, ".*")
}

func (d *doc) checkAWSStep(uses, with *yaml.Node) {
	for _, key := range []string{"aws-access-key-id", "aws-secret-access-key"} {
		if k, _ := get(with, key); k != nil {
			d.add(k, RuleOIDC, "%s: static AWS keys; assume a role through GitHub OIDC (role-to-assume) instead", key)
		}
	}
	if value(with, "role-to-assume") == nil {
		d.add(uses, RuleOIDC, "%s assumes no role: set role-to-assume (AWS through GitHub OIDC)", awsCredentialsAction)
	}
	seconds := value(with, "role-duration-seconds")
	if seconds == nil {
		d.add(uses, RuleOIDC, "role-duration-seconds is not set: the default 1-hour session ends before an image build does; set at least %d", MinRoleSeconds)
		return
	}
	n, err := strconv.Atoi(seconds.Value)
	switch {
	case err != nil:
		d.add(seconds, RuleOIDC, "role-duration-seconds %q is not a number of seconds: write it out (at least %d)", seconds.Value, MinRoleSeconds)
	case n < MinRoleSeconds:
		d.add(seconds, RuleOIDC, "role-duration-seconds %d is shorter than an image build: use at least %d (and raise the role's MaxSessionDuration to match)", n, MinRoleSeconds)
	}
}

// checkEnv checks the env of a workflow or a job (whose names every step sees), or of a step
// (owner ""; checkAzureSecret checks its AZURE_CLIENT_SECRET).
func (d *doc) checkEnv(env *yaml.Node, owner string) {
	each(env, func(k, _ *yaml.Node) {
		switch {
		case k.Value == "AWS_ACCESS_KEY_ID" || k.Value == "AWS_SECRET_ACCESS_KEY" || k.Value == "AWS_SESSION_TOKEN":
			d.add(k, RuleOIDC, "%s in env: static AWS credentials; assume a role through GitHub OIDC (%s with role-to-assume)", k.Value, awsCredentialsAction)
		case k.Value == "AZURE_CLIENT_SECRET" && owner != "":
			d.add(k, RuleAzureOIDC, "AZURE_CLIENT_SECRET in %s env reaches every step: set it only on the step that builds Azure cells (guarded by matrix.cell.infra == 'azure') or on publish", owner)
		}
	})
}

// checkAzureSecret checks where a step sets AZURE_CLIENT_SECRET, the fallback of Azure builds
// whose Image Builder signs in with a secret only (imagebuilder.CheckAzureFederated): from a
// named secret, on the build step of Azure cells (vsphereJob names the vSphere legs a job is
// fed, "" otherwise) or on publish, never on validate.
func (d *doc) checkAzureSecret(step *yaml.Node, vsphereJob string) {
	k, v := get(value(step, "env"), "AZURE_CLIENT_SECRET")
	if k == nil {
		return
	}
	with := value(step, "with")
	command, _ := scalar(value(with, "command"))
	validateOnly, _ := scalar(value(with, "validate-only"))
	check, _ := scalar(value(with, "check"))
	expr := ""
	if raw, ok := scalar(v); ok {
		if m := expression.FindAllStringSubmatch(raw, -1); len(m) == 1 && m[0][0] == strings.TrimSpace(raw) {
			expr = normalize(m[0][1])
		}
	}
	switch {
	case vsphereJob != "":
		d.add(k, RuleAzureOIDC, "AZURE_CLIENT_SECRET on a job of vSphere legs (%s): only Azure legs sign in to Azure; set it on the oidc build jobs' step", vsphereJob)
	case validateOnly == "true" || check == "true":
		d.add(k, RuleAzureOIDC, "AZURE_CLIENT_SECRET on a validate step: validation signs in nowhere; pass it no secret")
	case !namedSecret.MatchString(expr) && !azureCellSecret.MatchString(expr):
		d.add(k, RuleAzureOIDC, "AZURE_CLIENT_SECRET is not set from a named secret: use ${{ secrets.<name> }} (never a literal, an input or a variable)")
	case command != "publish" && !azureCellSecret.MatchString(expr):
		d.add(k, RuleAzureOIDC, "AZURE_CLIENT_SECRET reaches every cell of this step: set it as ${{ matrix.cell.infra == 'azure' && secrets.<name> || '' }}, or only on publish")
	}
}
