package record

import "time"

// PublishedImages is the ledger of published images: the catalog step writes it (images.json)
// and matrix --published reads it to skip cells whose build key is already published.
type PublishedImages struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Images     []PublishedImage `json:"images"`
}

// PublishedImage is one published image of one cell, in one place.
type PublishedImage struct {
	CellID   string `json:"cellId"`
	BuildKey string `json:"buildKey"`
	Infra    string `json:"infra"`
	// OS is the image's operating system (ID, name, version, arch, type).
	OS         OS     `json:"os"`
	Kubernetes string `json:"kubernetes"`
	TKr        string `json:"tkr,omitempty"`
	// PublishedAt is when the image was published; matrix --rebuild-after compares it.
	PublishedAt time.Time `json:"publishedAt"`
	// Ref is how the catalog refers to it: {"version": …} for ova, {"id", "region"} for ami,
	// the gallery or marketplace fields for azure.
	Ref map[string]string `json:"ref"`
	// OSImage names the catalog object that points at this image, if any.
	OSImage string `json:"osImage,omitempty"`
}
