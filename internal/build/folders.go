package build

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/tree"
)

// folderCopy is a folder of the user's repository copied into the workspace, where Image
// Builder sees it whichever the executor: the docker executor mounts the workspace, the make
// executor reads it in place. One mechanism for the TKG configuration and for roles.
type folderCopy struct {
	// src is the folder in the repository, dst its copy in the workspace; cell names the
	// folder as the cell does.
	src, dst, cell string
}

// readFolders checks the cell's TKG configuration and roles against the digests matrix
// recorded and returns where each is copied: the TKG configuration first, then the roles in
// order.
func readFolders(c record.Cell, root string, ws *workspace) ([]folderCopy, error) {
	var copies []folderCopy
	check := func(field string, f record.Folder, dst string) error {
		src, err := tree.Resolve(root, filepath.FromSlash(f.Path))
		if err != nil {
			return fmt.Errorf("cell %s: %s %q: want a folder relative to the directory matrix ran in, inside it: %w", c.ID, field, f.Path, err)
		}
		sum, err := tree.Digest(src)
		if err != nil {
			return fmt.Errorf("cell %s: %s: %w", c.ID, field, err)
		}
		if sum != strings.ToLower(f.SHA256) {
			return fmt.Errorf("cell %s: %s %s changed since the cell was made: its files' digest is %s, the cell says %s; run matrix again", c.ID, field, src, sum, f.SHA256)
		}
		copies = append(copies, folderCopy{src: src, dst: dst, cell: f.Path})
		return nil
	}
	if c.TKGConfig != nil {
		if err := check("tkgConfig", *c.TKGConfig, ws.tkgConfig()); err != nil {
			return nil, err
		}
	}
	for i, r := range c.Roles {
		if err := check(fmt.Sprintf("roles[%d]", i), r, ws.role(i, r.Path)); err != nil {
			return nil, err
		}
	}
	return copies, nil
}

// copyFolders copies the folders into the workspace, through its os.Root.
func copyFolders(ws *workspace, copies []folderCopy) error {
	for _, f := range copies {
		rel, err := ws.rel(f.dst)
		if err != nil {
			return err
		}
		if err := tree.Copy(f.src, ws.root, rel); err != nil {
			return fmt.Errorf("workspace: %w", err)
		}
	}
	return nil
}

// roleDirName is a role's folder name in the workspace: its position and its name, so two
// roles of the same name from different folders stay apart and keep their order.
func roleDirName(i int, cellPath string) string {
	return fmt.Sprintf("%02d-%s", i+1, filepath.Base(filepath.FromSlash(cellPath)))
}
