// Package publishconfig is the publish configuration file: where the vSphere templates and the
// AWS AMIs go, and how the clusters that use the TKr catalog select their OSImages. It holds
// no credentials; those come from the environment. The file is YAML (JSON is valid YAML) and
// decoded strictly: an unknown field, a wrong type or a bad value is an error naming the file,
// the line and the field, and saying what would be valid.
package publishconfig

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/imagegrid/imagegrid/internal/catalog"
	"github.com/imagegrid/imagegrid/internal/limits"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/yamldecode"
)

// Kind is the kind of the publish configuration file.
const Kind = "PublishConfig"

// Defaults applied to fields left empty.
const (
	DefaultImports      = 2
	DefaultParallel     = 5
	DefaultWaitTimeout  = 45 * time.Minute
	DefaultPollInterval = 15 * time.Second
	DefaultProvisioning = "thin"
)

// Config names the publish targets. A target left out is not published to: records for its
// infrastructure fail with an error saying the target is not configured.
type Config struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	VSphere    *VSphere `yaml:"vsphere,omitempty"`
	AWS        *AWS     `yaml:"aws,omitempty"`
	Azure      *Azure   `yaml:"azure,omitempty"`
	Catalog    *Catalog `yaml:"catalog,omitempty"`
}

// Catalog describes the clusters that resolve images from the TKr catalog, for the catalog
// step's invariants.
type Catalog struct {
	// Selectors replace, per infrastructure (vsphere, aws, azure), the OSImage selectors the
	// clusters resolve with: each entry is the label keys of one selector, comma-separated,
	// as in a cluster's run.tanzu.vmware.com/resolve-os-image annotation without the values
	// ("image-type,os-name"). Infrastructures left out keep tanzu-framework's
	// (catalog.DefaultSelectors).
	Selectors map[string][]string `yaml:"selectors,omitempty"`
}

// Selectors returns the OSImage selectors of the clusters: tanzu-framework's, with those the
// config sets in their place.
func (c *Config) Selectors() catalog.Selectors {
	out := catalog.DefaultSelectors()
	if c.Catalog == nil {
		return out
	}
	override := catalog.Selectors{}
	for infra, entries := range c.Catalog.Selectors {
		for _, e := range entries {
			override[infra] = append(override[infra], splitSelector(e))
		}
	}
	return out.With(override)
}

// splitSelector returns the label keys of a selector entry ("image-type, os-name").
func splitSelector(entry string) catalog.Selector {
	var keys catalog.Selector
	for _, k := range strings.Split(entry, ",") {
		keys = append(keys, strings.TrimSpace(k))
	}
	return keys
}

// VSphere is a vCenter and the placement of the templates in it. A cell's publish hints
// override the placement fields they set.
type VSphere struct {
	// Server is the vCenter host name or URL ("vcenter.example.com", "https://vc/sdk").
	Server string `yaml:"server"`
	// Insecure skips TLS verification; only when set explicitly. Prefer Thumbprint.
	Insecure bool `yaml:"insecure,omitempty"`
	// Thumbprint pins the vCenter certificate by its SHA-1 or SHA-256 fingerprint
	// (colon-separated hex, as govc about.cert prints it).
	Thumbprint string `yaml:"thumbprint,omitempty"`
	// VSphereTarget places the templates (datacenter, cluster or resourcePool, datastore,
	// folder, network).
	record.VSphereTarget
	// DiskProvisioning is thin (default), thick or eagerZeroedThick.
	DiskProvisioning string `yaml:"diskProvisioning,omitempty"`
	// Parallel bounds the records published into this vCenter at once: OVAs streamed, and
	// templates checked and finished (default 2).
	Parallel int `yaml:"parallel,omitempty"`
	// ContentLibrary also uploads each OVA as an OVF template item of this library.
	ContentLibrary *ContentLibrary `yaml:"contentLibrary,omitempty"`
}

// ContentLibrary is a vSphere content library that receives the OVAs as OVF template items.
type ContentLibrary struct {
	Name string `yaml:"name"`
	// Create makes a local library on Datastore when none has the name.
	Create bool `yaml:"create,omitempty"`
	// Datastore backs a created library; empty means the vSphere datastore.
	Datastore string `yaml:"datastore,omitempty"`
	// Only skips the VM template: the OVA goes to the library only.
	Only bool `yaml:"only,omitempty"`
}

// AWS names the regions AMIs are copied to and who may launch them. A cell's publish hints
// replace Regions when they name regions, and add to the sharing lists.
type AWS struct {
	// AWSTarget names the regions (required) and who may launch the AMIs.
	record.AWSTarget
	// Public makes the AMIs public; only when set explicitly.
	Public bool `yaml:"public,omitempty"`
	// Parallel bounds the regions of this account worked on at once, across every record of
	// the run (default 5). A region waiting for its copy to become available holds no slot.
	Parallel int `yaml:"parallel,omitempty"`
	// WaitTimeout bounds the wait for a copied AMI to become available (default 45m).
	WaitTimeout time.Duration `yaml:"waitTimeout,omitempty"`
	// PollInterval is how often a copy's state is checked (default 15s).
	PollInterval time.Duration `yaml:"pollInterval,omitempty"`
}

// Azure says how Compute Gallery image versions are published. Where each goes (the
// gallery, the regions, the replicas) and who may use it come from the grid, in the cells'
// publish hints; this holds how publish works on them.
type Azure struct {
	// Parallel bounds the records published to Azure at once (default 5).
	Parallel int `yaml:"parallel,omitempty"`
	// WaitTimeout bounds the wait for a version's replication to every region (default 45m).
	WaitTimeout time.Duration `yaml:"waitTimeout,omitempty"`
	// PollInterval is how often the replication is checked (default 15s).
	PollInterval time.Duration `yaml:"pollInterval,omitempty"`
	// Endpoint and AuthorityHost replace Azure's public cloud (https://management.azure.com,
	// https://login.microsoftonline.com/) for another cloud: a sovereign one, Azure Stack
	// Hub, the local pipeline's fake gallery. Both https URLs; with AuthorityHost set,
	// Microsoft's instance discovery, which knows only Microsoft's clouds, is not asked.
	Endpoint      string `yaml:"endpoint,omitempty"`
	AuthorityHost string `yaml:"authorityHost,omitempty"`
}

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := limits.PublishConfig.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read publish config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a configuration; name prefixes every error, each with the
// line and column of the value it is about.
func Parse(name string, data []byte) (*Config, error) {
	errs := &yamldecode.Errors{}
	root := yamldecode.Document(name, data, errs, "one publish configuration per file: put this document in a file of its own")
	if root == nil {
		if err := errs.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: empty publish config; want a %s document", name, Kind)
	}
	var cfg Config
	at := yamldecode.Positions{}
	yamldecode.Decode(name, root, &cfg, errs, at)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	v := validator{at: at, errs: errs}
	v.check(&cfg)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	cfg.defaults()
	return &cfg, nil
}

func (c *Config) defaults() {
	if v := c.VSphere; v != nil {
		if v.DiskProvisioning == "" {
			v.DiskProvisioning = DefaultProvisioning
		}
		if v.Parallel == 0 {
			v.Parallel = DefaultImports
		}
	}
	if z := c.Azure; z != nil {
		z.Parallel = cmp.Or(z.Parallel, DefaultParallel)
		z.WaitTimeout = cmp.Or(z.WaitTimeout, DefaultWaitTimeout)
		z.PollInterval = cmp.Or(z.PollInterval, DefaultPollInterval)
	}
	if a := c.AWS; a != nil {
		if a.Parallel == 0 {
			a.Parallel = DefaultParallel
		}
		if a.WaitTimeout == 0 {
			a.WaitTimeout = DefaultWaitTimeout
		}
		if a.PollInterval == 0 {
			a.PollInterval = DefaultPollInterval
		}
	}
}

// validator checks the values of a decoded configuration; at says where each stands.
type validator struct {
	at   yamldecode.Positions
	errs *yamldecode.Errors
}

// failf records an error at the value of the dotted field path (or its nearest parent).
func (v *validator) failf(path string, format string, args ...any) {
	v.errs.Add(v.at.Of(path), path, fmt.Sprintf(format, args...))
}

var (
	thumbprintRE = regexp.MustCompile(`^([0-9A-Fa-f]{2}:){19}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$`)
	accountRE    = regexp.MustCompile(`^\d{12}$`)
	orgARNRE     = regexp.MustCompile(`^arn:aws[a-z-]*:organizations::\d{12}:organization/o-[a-z0-9]{10,32}$`)
	ouARNRE      = regexp.MustCompile(`^arn:aws[a-z-]*:organizations::\d{12}:ou/o-[a-z0-9]{10,32}/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$`)
)

func (v *validator) check(c *Config) {
	if c.APIVersion != record.APIVersion {
		v.failf("apiVersion", "got %q, want %q", c.APIVersion, record.APIVersion)
	}
	if c.Kind != Kind {
		v.failf("kind", "got %q, want %q", c.Kind, Kind)
	}
	if c.VSphere == nil && c.AWS == nil && c.Azure == nil && c.Catalog == nil {
		v.failf("kind", "no target: set vsphere, aws, azure or several (or only catalog, for publish --check)")
	}
	if c.VSphere != nil {
		v.checkVSphere(c.VSphere)
	}
	if c.AWS != nil {
		v.checkAWS(c.AWS)
	}
	if c.Azure != nil {
		v.checkAzure(c.Azure)
	}
	if c.Catalog != nil {
		v.checkCatalog(c.Catalog)
	}
}

// checkWaits checks a target's parallel, waitTimeout and pollInterval; parallel counts what.
func (v *validator) checkWaits(target, what string, parallel int, wait, poll time.Duration) {
	if parallel < 0 {
		v.failf(target+".parallel", "%d; want a positive number of %s at once", parallel, what)
	}
	if wait < 0 {
		v.failf(target+".waitTimeout", "%s; want a positive duration like 45m", wait)
	}
	if poll < 0 {
		v.failf(target+".pollInterval", "%s; want a positive duration like 15s", poll)
	}
}

func (v *validator) checkAzure(z *Azure) {
	v.checkWaits("azure", "records published", z.Parallel, z.WaitTimeout, z.PollInterval)
	for _, f := range []struct{ key, value, example string }{
		{"azure.endpoint", z.Endpoint, "https://management.usgovcloudapi.net"},
		{"azure.authorityHost", z.AuthorityHost, "https://login.microsoftonline.us/"},
	} {
		if u, err := url.Parse(f.value); f.value != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
			v.failf(f.key, "%q; want an https URL like %s", f.value, f.example)
		}
	}
	if (z.Endpoint == "") != (z.AuthorityHost == "") {
		v.failf("azure", "set endpoint and authorityHost together: a cloud's Resource Manager and its sign-in go together")
	}
}

var (
	labelNameRE   = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	labelPrefixRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

func (v *validator) checkCatalog(c *Catalog) {
	for _, infra := range slices.Sorted(maps.Keys(c.Selectors)) {
		path := "catalog.selectors." + infra
		switch infra {
		case record.InfraVSphere, record.InfraAWS, record.InfraAzure:
		default:
			v.failf(path, "%q is not an infrastructure; want vsphere, aws or azure", infra)
			continue
		}
		entries := c.Selectors[infra]
		if len(entries) == 0 {
			v.failf(path, "no selector; give at least one, like %q, or leave %s out for tanzu-framework's", catalog.DefaultSelectors()[infra][0].String(), infra)
		}
		for i, e := range entries {
			v.checkSelector(fmt.Sprintf("%s[%d]", path, i), e)
			if infra == record.InfraAWS && !slices.Contains(splitSelector(e), "ami-region") {
				v.failf(fmt.Sprintf("%s[%d]", path, i), "%q has no ami-region: a TKr has one AMI OSImage per region, so a selector without the region matches all of them", e)
			}
		}
	}
}

// checkSelector checks one selector entry: label keys, comma-separated, each once.
func (v *validator) checkSelector(path, entry string) {
	seen := map[string]bool{}
	for _, k := range splitSelector(entry) {
		switch {
		case k == "":
			v.failf(path, "%q has an empty label key; want label keys separated by commas, like \"image-type,os-name\"", entry)
		case strings.ContainsAny(k, "=!() "):
			v.failf(path, "%q: %q is not a label key; give the keys only (\"image-type,os-name\"): the values come from each cluster's OS", entry, k)
		case !validLabelKey(k):
			v.failf(path, "%q: %q is not a label key ([prefix/]name, the name at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)", entry, k)
		case seen[k]:
			v.failf(path, "%q names %s twice", entry, k)
		}
		seen[k] = true
	}
}

func validLabelKey(k string) bool {
	name := k
	if prefix, rest, ok := strings.Cut(k, "/"); ok {
		if len(prefix) > 253 || !labelPrefixRE.MatchString(prefix) {
			return false
		}
		name = rest
	}
	return labelNameRE.MatchString(name)
}

func (v *validator) checkVSphere(s *VSphere) {
	v.checkVCenter(s)
	v.checkVSpherePlacement(s)
	switch s.DiskProvisioning {
	case "", "thin", "thick", "eagerZeroedThick":
	default:
		v.failf("vsphere.diskProvisioning", "%q; want thin, thick or eagerZeroedThick", s.DiskProvisioning)
	}
	if s.Parallel < 0 {
		v.failf("vsphere.parallel", "%d; want a positive number of records published at once", s.Parallel)
	}
}

// checkVCenter checks how s reaches vCenter: its server and how its certificate is verified.
func (v *validator) checkVCenter(s *VSphere) {
	if s.Server == "" {
		v.failf("vsphere.server", "required: the vCenter host name or URL")
	}
	if s.Thumbprint != "" && !thumbprintRE.MatchString(s.Thumbprint) {
		v.failf("vsphere.thumbprint", "%q is not a SHA-1 or SHA-256 fingerprint (colon-separated hex pairs, as govc about.cert -thumbprint prints)", s.Thumbprint)
	}
	if s.Thumbprint != "" && s.Insecure {
		v.failf("vsphere.insecure", "insecure turns off the verification thumbprint pins; set one of them")
	}
}

// checkVSpherePlacement checks where s puts the templates: datacenter, datastore, cluster or
// resource pool, and content library.
func (v *validator) checkVSpherePlacement(s *VSphere) {
	if s.Datacenter == "" {
		v.failf("vsphere.datacenter", "required: the datacenter name or inventory path")
	}
	if s.Datastore == "" {
		v.failf("vsphere.datastore", "required: the datastore that holds the templates")
	}
	if s.Cluster == "" && s.ResourcePool == "" {
		v.failf("vsphere", "set cluster or resourcePool: where the templates are imported")
	}
	if s.Cluster != "" && s.ResourcePool != "" {
		v.failf("vsphere.resourcePool", "set cluster or resourcePool, not both")
	}
	if l := s.ContentLibrary; l != nil && l.Name == "" {
		v.failf("vsphere.contentLibrary.name", "required: the content library's name")
	}
}

func (v *validator) checkAWS(a *AWS) {
	if len(a.Regions) == 0 {
		v.failf("aws.regions", "required: at least one region, e.g. [us-east-1]")
	}
	for i, r := range a.Regions {
		if !record.IsAWSRegion(r) {
			v.failf(fmt.Sprintf("aws.regions[%d]", i), "%q is not a region name like us-east-1", r)
		}
	}
	for i, acc := range a.Accounts {
		if !accountRE.MatchString(acc) {
			v.failf(fmt.Sprintf("aws.accounts[%d]", i), "%q is not a 12-digit account id", acc)
		}
	}
	for i, arn := range a.Organizations {
		if !orgARNRE.MatchString(arn) {
			v.failf(fmt.Sprintf("aws.organizations[%d]", i), "%q is not an organization ARN like arn:aws:organizations::123456789012:organization/o-abcd123456", arn)
		}
	}
	for i, arn := range a.OrganizationalUnits {
		if !ouARNRE.MatchString(arn) {
			v.failf(fmt.Sprintf("aws.organizationalUnits[%d]", i), "%q is not an OU ARN like arn:aws:organizations::123456789012:ou/o-abcd123456/ou-ab12-cdef3456", arn)
		}
	}
	v.checkWaits("aws", "regions worked on", a.Parallel, a.WaitTimeout, a.PollInterval)
}
