package build

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/ova"
	"github.com/imagegrid/imagegrid/internal/record"
)

// verified is what a successful Image Builder run produced, checked against its cell.
type verified struct {
	artifacts record.Artifacts
	// ibVersion is the Image Builder version the outputs report, "" if they do not.
	ibVersion string
	// ovaPath is the OVA's path in the workspace (vSphere).
	ovaPath string
}

// readOutputs finds this run's build in the packer manifest (written afresh: the output dir
// is emptied before every attempt) and verifies its artifacts against the cell.
// galleryImageVersion is the Compute Gallery image version an Azure build printed.
func readOutputs(c record.Cell, ws *workspace, galleryImageVersion string) (verified, error) {
	manifestPath := ws.manifestOutput()
	if c.Infra == record.InfraVSphere {
		manifestPath = ws.ovaManifest()
	}
	m, err := imagebuilder.ReadManifest(manifestPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return verified{}, fmt.Errorf("the Image Builder run succeeded but wrote no packer manifest at %s", manifestPath)
		}
		return verified{}, err
	}
	run, err := m.ThisRun(manifestPath)
	if err != nil {
		return verified{}, err
	}
	v := verified{ibVersion: run.CustomData["ib_version"]}
	if err := run.CheckKubernetes(c); err != nil {
		return v, fmt.Errorf("packer manifest %s: %w", manifestPath, err)
	}
	switch c.Infra {
	case record.InfraVSphere:
		return readOVA(c, ws, v)
	case record.InfraAWS:
		amis, err := imagebuilder.AMIs(run.ArtifactID)
		if err != nil {
			return v, fmt.Errorf("packer manifest %s: %w", manifestPath, err)
		}
		v.artifacts.AMI = amis
	case record.InfraAzure:
		images, err := imagebuilder.AzureImages(run.ArtifactID)
		if err == nil {
			images, err = imagebuilder.WithGalleryImageVersion(images, galleryImageVersion)
		}
		if err != nil {
			return v, fmt.Errorf("packer manifest %s: %w", manifestPath, err)
		}
		v.artifacts.Azure = images
	}
	return v, nil
}

// readOVA verifies the one OVA in the output dir: digest, tar, OVF properties.
func readOVA(c record.Cell, ws *workspace, v verified) (verified, error) {
	found, err := filepath.Glob(filepath.Join(ws.output(), "*.ova"))
	if err != nil {
		return v, fmt.Errorf("find the OVA: %w", err)
	}
	sort.Strings(found)
	if len(found) != 1 {
		return v, fmt.Errorf("want exactly one .ova in %s, found %d %v", ws.output(), len(found), found)
	}
	art, err := VerifyOVA(c, found[0])
	if err != nil {
		return v, err
	}
	if ibv := art.Properties["IMAGE_BUILDER_VERSION"]; ibv != "" {
		v.ibVersion = ibv
	}
	v.ovaPath = found[0]
	v.artifacts.OVA = &art
	return v, nil
}

// VerifyOVA verifies the OVA at path as a build verifies the one Image Builder wrote for
// cell c — its digest against path.sha256, its members, manifest and OVF descriptor
// (ova.Verify), its OVF properties against the cell — and returns it as the build record
// carries it.
func VerifyOVA(c record.Cell, path string) (record.OVAArtifact, error) {
	img, err := ova.Verify(path)
	if err != nil {
		return record.OVAArtifact{}, err
	}
	if err := ova.CheckProperties(img.Properties, imagebuilder.ExpectedProperties(c)); err != nil {
		return record.OVAArtifact{}, fmt.Errorf("%s does not match cell %s: %w", path, c.ID, err)
	}
	return record.OVAArtifact{
		Path:           path,
		Size:           img.Size,
		SHA256:         img.SHA256,
		ManifestSHA256: img.ManifestSHA256,
		Version:        img.Properties["VERSION"],
		Properties:     img.Properties,
	}, nil
}
