package ova

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// descriptor is what imagegrid reads from an OVF envelope.
type descriptor struct {
	// References are the hrefs of the envelope's References/File elements.
	References []string
	Product    string
	Version    string
	Properties map[string]string
}

// The OVF subset we read. Attributes match by local name, whatever their namespace prefix.
type ovfEnvelope struct {
	XMLName    xml.Name `xml:"Envelope"`
	References []struct {
		Href string `xml:"href,attr"`
	} `xml:"References>File"`
	Systems     []ovfSystem `xml:"VirtualSystem"`
	Collections []struct {
		Systems []ovfSystem `xml:"VirtualSystem"`
	} `xml:"VirtualSystemCollection"`
}

type ovfSystem struct {
	Products []ovfProduct `xml:"ProductSection"`
}

type ovfProduct struct {
	Class      string `xml:"class,attr"`
	Instance   string `xml:"instance,attr"`
	Product    string `xml:"Product"`
	Version    string `xml:"Version"`
	Properties []struct {
		Key   string `xml:"key,attr"`
		Value string `xml:"value,attr"`
	} `xml:"Property"`
}

// parseOVF reads the references and every ProductSection property of an OVF descriptor.
// A property's key is prefixed with its section's class and suffixed with its instance, as
// OVF defines ("class.key.instance"); Image Builder's sections have neither.
func parseOVF(data []byte) (descriptor, error) {
	var env ovfEnvelope
	if err := xml.Unmarshal(data, &env); err != nil {
		return descriptor{}, fmt.Errorf("parse OVF: %w", err)
	}
	d := descriptor{Properties: map[string]string{}}
	for _, ref := range env.References {
		if ref.Href == "" {
			return descriptor{}, fmt.Errorf("References/File without ovf:href")
		}
		d.References = append(d.References, ref.Href)
	}
	systems := env.Systems
	for _, c := range env.Collections {
		systems = append(systems, c.Systems...)
	}
	if len(systems) == 0 {
		return descriptor{}, fmt.Errorf("no VirtualSystem in the OVF envelope")
	}
	for _, sys := range systems {
		for _, ps := range sys.Products {
			if d.Product == "" {
				d.Product = strings.TrimSpace(ps.Product)
			}
			if d.Version == "" {
				d.Version = strings.TrimSpace(ps.Version)
			}
			for _, p := range ps.Properties {
				if p.Key == "" {
					return descriptor{}, fmt.Errorf("ProductSection Property without ovf:key")
				}
				key := p.Key
				if ps.Class != "" {
					key = ps.Class + "." + key
				}
				if ps.Instance != "" {
					key += "." + ps.Instance
				}
				if _, dup := d.Properties[key]; dup {
					return descriptor{}, fmt.Errorf("ProductSection property %q is defined twice", key)
				}
				d.Properties[key] = p.Value
			}
		}
	}
	return d, nil
}
