package catalog

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The TKr API this package reads and writes.
const (
	// TKrAPIGroup is the API group of TanzuKubernetesRelease and OSImage.
	TKrAPIGroup = "run.tanzu.vmware.com"
	// TKrAPIVersion is the apiVersion written into new objects.
	TKrAPIVersion = TKrAPIGroup + "/v1alpha3"
	KindTKr       = "TanzuKubernetesRelease"
	KindOSImage   = "OSImage"
	// KindBOM names legacy TKG 1.x BOM files in errors and changes.
	KindBOM = "BOM"
)

// Image types of an OSImage.
const (
	ImageOVA   = "ova"
	ImageAMI   = "ami"
	ImageAzure = "azure"
)

// Annotations imagegrid puts on every OSImage it writes: they make the catalog a ledger of
// what was published and where it came from.
const (
	AnnotationBuildKey            = "imagegrid.io/build-key"
	AnnotationCell                = "imagegrid.io/cell"
	AnnotationBuiltAt             = "imagegrid.io/built-at"
	AnnotationPublishedAt         = "imagegrid.io/published-at"
	AnnotationImageBuilderVersion = "imagegrid.io/image-builder-version"
)

// Key is the combination one OSImage imagegrid writes is for: its name is made of it
// (OSImageName), and a new image of the same key updates it in place. Whether two OSImages of
// one TKr are too alike is for the selectors to say (Selectors.Clash): they tell fewer things
// apart than a key does.
type Key struct {
	OSName string
	// OSVersion is without dots ("2204").
	OSVersion string
	Arch      string
	ImageType string
	// Region is set for AMIs only.
	Region string
}

func (k Key) String() string {
	s := fmt.Sprintf("%s %s %s %s", k.OSName, k.OSVersion, k.Arch, k.ImageType)
	if k.Region != "" {
		s += " " + k.Region
	}
	return s
}

// Ref is an image reference: ova {version}, ami {id, region}, azure gallery or marketplace
// fields. Values are kept as strings.
type Ref map[string]string

// OSImage is an OSImage object of the catalog.
type OSImage struct {
	Name              string
	KubernetesVersion string
	OSType            string
	Key               Key
	Ref               Ref
	Labels            map[string]string
	// Resolved are the labels TKG's resolver matches selectors against (resolverLabels).
	Resolved    map[string]string
	Annotations map[string]string
	// Where is "file:line" of the object.
	Where string
}

// Managed reports whether imagegrid wrote this OSImage (it carries a build key).
func (o *OSImage) Managed() bool { return o.Annotations[AnnotationBuildKey] != "" }

// TKr is a TanzuKubernetesRelease object of the catalog.
type TKr struct {
	Name              string
	Version           string
	KubernetesVersion string
	// OSImages are the names in spec.osImages, in order.
	OSImages []string
	Where    string
}

// BOM is a legacy TKG 1.x TKr BOM (tkr-bom-<version>.yaml).
type BOM struct {
	Release string
	// Entries are its ova, ami (every region) and azure images.
	Entries []BOMEntry
	Where   string
}

// BOMEntry is one image of a BOM.
type BOMEntry struct {
	Key Key
	// Path locates the entry in the document: ("ova", index) or ("ami", region, index) or
	// ("azure", index).
	Path []any
	Ref  Ref
	Line int
}

type objectMeta struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type osInfo struct {
	Type    string `yaml:"type"`
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	Arch    string `yaml:"arch"`
}

type osImageYAML struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		KubernetesVersion string `yaml:"kubernetesVersion"`
		OS                osInfo `yaml:"os"`
		Image             struct {
			Type string         `yaml:"type"`
			Ref  map[string]any `yaml:"ref"`
		} `yaml:"image"`
	} `yaml:"spec"`
}

type tkrYAML struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		Version    string `yaml:"version"`
		Kubernetes struct {
			Version string `yaml:"version"`
		} `yaml:"kubernetes"`
		OSImages []struct {
			Name string `yaml:"name"`
		} `yaml:"osImages"`
	} `yaml:"spec"`
}

func decodeOSImage(root *yaml.Node, where string) (*OSImage, error) {
	var y osImageYAML
	if err := root.Decode(&y); err != nil {
		return nil, fmt.Errorf("%s: OSImage: %w", where, err)
	}
	s := y.Spec
	return &OSImage{
		Name:              y.Metadata.Name,
		KubernetesVersion: s.KubernetesVersion,
		OSType:            s.OS.Type,
		Key:               newKey(s.OS, s.Image.Type, s.Image.Ref),
		Ref:               refOf(s.Image.Ref),
		Labels:            y.Metadata.Labels,
		Resolved:          resolverLabels(y.Metadata.Labels, s.OS, s.Image.Type, s.Image.Ref),
		Annotations:       y.Metadata.Annotations,
		Where:             where,
	}, nil
}

func newKey(os osInfo, imageType string, ref map[string]any) Key {
	k := Key{OSName: os.Name, OSVersion: OSVersion(os.Version), Arch: os.Arch, ImageType: imageType}
	if imageType == ImageAMI {
		k.Region = fmt.Sprint(ref["region"])
	}
	return k
}

func refOf(m map[string]any) Ref {
	r := Ref{}
	for k, v := range m {
		r[k] = fmt.Sprint(v)
	}
	return r
}

func decodeTKr(root *yaml.Node, where string) (*TKr, error) {
	var y tkrYAML
	if err := root.Decode(&y); err != nil {
		return nil, fmt.Errorf("%s: TanzuKubernetesRelease: %w", where, err)
	}
	t := &TKr{Name: y.Metadata.Name, Version: y.Spec.Version, KubernetesVersion: y.Spec.Kubernetes.Version, Where: where}
	for _, o := range y.Spec.OSImages {
		t.OSImages = append(t.OSImages, o.Name)
	}
	return t, nil
}

type bomOSInfo struct {
	OSInfo osInfo `yaml:"osinfo"`
}

// decodeBOM reads a legacy BOM; entries keep their position in the document for edits.
func decodeBOM(root *yaml.Node, where string) (*BOM, error) {
	b := &BOM{Release: scalar(root, "release", "version"), Where: where}
	if b.Release == "" {
		return nil, fmt.Errorf("%s: BOM: release.version is missing", where)
	}
	add := func(n *yaml.Node, imageType, region string, path []any) error {
		var info bomOSInfo
		var ref map[string]any
		if err := n.Decode(&info); err != nil {
			return fmt.Errorf("%s: BOM %s entry at line %d: %w", where, imageType, n.Line, err)
		}
		if err := n.Decode(&ref); err != nil {
			return fmt.Errorf("%s: BOM %s entry at line %d: %w", where, imageType, n.Line, err)
		}
		delete(ref, "osinfo")
		k := newKey(info.OSInfo, imageType, nil)
		k.Region = region
		b.Entries = append(b.Entries, BOMEntry{Key: k, Path: path, Ref: refOf(ref), Line: n.Line})
		return nil
	}
	for _, typ := range []string{ImageOVA, ImageAzure} {
		if s := mapValue(root, typ); s != nil && s.Kind == yaml.SequenceNode {
			for i, n := range s.Content {
				if err := add(n, typ, "", []any{typ, i}); err != nil {
					return nil, err
				}
			}
		}
	}
	if m := mapValue(root, ImageAMI); m != nil && m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			region := m.Content[i].Value
			for j, n := range m.Content[i+1].Content {
				if err := add(n, ImageAMI, region, []any{ImageAMI, region, j}); err != nil {
					return nil, err
				}
			}
		}
	}
	return b, nil
}

// isBOM tells a legacy BOM document from other YAML: a tkr-bom-*.yaml file name, or a
// release.version next to image lists.
func isBOM(file string, root *yaml.Node) bool {
	base := file[strings.LastIndex(file, "/")+1:]
	if strings.HasPrefix(base, "tkr-bom-") {
		return true
	}
	return scalar(root, "release", "version") != "" &&
		(mapValue(root, ImageOVA) != nil || mapValue(root, ImageAMI) != nil || mapValue(root, ImageAzure) != nil)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
