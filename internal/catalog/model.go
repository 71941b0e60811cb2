package catalog

import (
	"fmt"

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
