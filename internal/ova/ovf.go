package ova

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/ovf"
)

// Descriptor is an OVA's OVF descriptor: its bytes, the envelope govmomi's ovf package reads
// from them (the model vCenter's import spec is made from), and what imagegrid reads of it.
type Descriptor struct {
	// Name is the descriptor's tar member name and Raw its bytes.
	Name string
	Raw  []byte
	// Envelope is the parsed descriptor.
	Envelope *ovf.Envelope
	// References are the hrefs of the envelope's References/File elements.
	References []string
	// Product and Version are those of the first ProductSection that has them.
	Product string
	Version string
	// Properties are every ProductSection property, key → value.
	Properties map[string]string
}

// parseOVF reads the references and every ProductSection property of an OVF descriptor with
// govmomi's ovf package (ovf/envelope.go, v0.56.0), as govc import.ova reads it
// (ovf/importer/archive.go ReadEnvelope). A property's key is prefixed with its section's
// class and suffixed with its instance, as OVF defines ("class.key.instance"); Image
// Builder's sections have neither.
func parseOVF(name string, data []byte) (Descriptor, error) {
	env, err := ovf.Unmarshal(bytes.NewReader(data))
	if err == nil {
		err = checkRoot(data)
	}
	if err != nil {
		return Descriptor{}, fmt.Errorf("%s: parse OVF: %w", name, err)
	}
	d := Descriptor{Name: name, Raw: data, Envelope: env, Properties: map[string]string{}}
	if err := d.read(); err != nil {
		return Descriptor{}, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

// checkRoot refuses a document whose root element is not an OVF Envelope, which
// ovf.Unmarshal accepts (its Envelope type names no element).
func checkRoot(data []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if start, ok := tok.(xml.StartElement); ok {
			if start.Name.Local != "Envelope" {
				return fmt.Errorf("root element is <%s>; an OVF descriptor is an <Envelope>", start.Name.Local)
			}
			return nil
		}
	}
}

// read fills d's references, product, version and properties from its envelope.
func (d *Descriptor) read() error {
	for _, ref := range d.Envelope.References {
		if ref.Href == "" {
			return errors.New("References/File without ovf:href")
		}
		d.References = append(d.References, ref.Href)
	}
	products, err := productSections(d.Envelope)
	if err != nil {
		return err
	}
	for _, ps := range products {
		if err := d.readProduct(ps); err != nil {
			return err
		}
	}
	return nil
}

// productSections are the ProductSections of env's virtual system, or of each system of its
// collection, in document order.
func productSections(env *ovf.Envelope) ([]ovf.ProductSection, error) {
	var products []ovf.ProductSection
	if vs := env.VirtualSystem; vs != nil {
		products = append(products, vs.Product...)
	}
	if c := env.VirtualSystemCollection; c != nil {
		for _, vs := range c.VirtualSystem {
			products = append(products, vs.Product...)
		}
	}
	if env.VirtualSystem == nil && (env.VirtualSystemCollection == nil || len(env.VirtualSystemCollection.VirtualSystem) == 0) {
		return nil, errors.New("no VirtualSystem in the OVF envelope")
	}
	return products, nil
}

// readProduct takes the first product and version d has not got yet from ps, and adds its
// properties, each keyed class.key.instance as vCenter names them.
func (d *Descriptor) readProduct(ps ovf.ProductSection) error {
	if d.Product == "" {
		d.Product = strings.TrimSpace(ps.Product)
	}
	if d.Version == "" {
		d.Version = strings.TrimSpace(ps.Version)
	}
	for _, p := range ps.Property {
		if p.Key == "" {
			return errors.New("ProductSection Property without ovf:key")
		}
		key := p.Key
		if ps.Class != nil && *ps.Class != "" {
			key = *ps.Class + "." + key
		}
		if ps.Instance != nil && *ps.Instance != "" {
			key += "." + *ps.Instance
		}
		if _, dup := d.Properties[key]; dup {
			return fmt.Errorf("ProductSection property %q is defined twice", key)
		}
		var value string
		if p.Default != nil {
			value = *p.Default
		}
		d.Properties[key] = value
	}
	return nil
}
