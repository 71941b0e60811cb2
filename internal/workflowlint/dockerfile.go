package workflowlint

import (
	"fmt"
	"regexp"
	"strings"
)

var imageDigest = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int
	cmd  string // upper case: FROM, COPY, USER…
	args []string
}

// stage is one FROM and what follows it.
type stage struct {
	from  instruction
	image string
	name  string
	user  *instruction // the last USER of the stage
}

// CheckDockerfile applies the image rules to a Dockerfile: several stages (the toolchain
// stays out of the final image), every base and COPY --from image pinned by digest, and a
// final stage that runs as a named user other than root.
func CheckDockerfile(name string, src []byte) []Finding {
	c := &dockerfileCheck{name: name, names: map[string]bool{}}
	for _, in := range instructions(string(src)) {
		c.instruction(in)
	}
	c.final()
	return c.out
}

// dockerfileCheck is one run of CheckDockerfile: the stages read so far, their names, and the
// findings.
type dockerfileCheck struct {
	name   string
	stages []*stage
	names  map[string]bool // of the stages, lower case
	out    []Finding
}

func (c *dockerfileCheck) add(line int, format string, args ...any) {
	c.out = append(c.out, Finding{File: c.name, Line: line, Col: 1, Rule: RuleDockerfile, Message: fmt.Sprintf(format, args...)})
}

// pinned reports image unless it is scratch, an earlier stage or pinned by digest.
func (c *dockerfileCheck) pinned(line int, image, what string) {
	if image != "scratch" && !c.names[strings.ToLower(image)] && !imageDigest.MatchString(image) {
		c.add(line, "%s %s is not pinned by digest: use %s@sha256:<digest>", what, image, image)
	}
}

// instruction checks the images of a FROM or COPY --from, and notes stages and their USER.
func (c *dockerfileCheck) instruction(in instruction) {
	switch in.cmd {
	case "FROM":
		args := withoutFlags(in.args)
		if len(args) == 0 {
			c.add(in.line, "FROM without an image")
			return
		}
		st := &stage{from: in, image: args[0]}
		if len(args) == 3 && strings.EqualFold(args[1], "AS") {
			st.name = strings.ToLower(args[2])
		}
		c.pinned(in.line, st.image, "base image")
		if st.name != "" {
			c.names[st.name] = true
		}
		c.stages = append(c.stages, st)
	case "COPY":
		for _, a := range in.args {
			if from, ok := strings.CutPrefix(a, "--from="); ok {
				c.pinned(in.line, from, "COPY --from image")
			}
		}
	case "USER":
		if len(c.stages) > 0 {
			c.stages[len(c.stages)-1].user = &in
		}
	}
}

// final checks that there are several stages and that the last is a small runtime image run
// by a user other than root.
func (c *dockerfileCheck) final() {
	if len(c.stages) < 2 {
		c.add(1, "a single stage: build the commands in a builder stage and copy them into a small final image")
		return
	}
	final := c.stages[len(c.stages)-1]
	if c.names[strings.ToLower(final.image)] || strings.HasPrefix(repository(final.image), "golang") {
		c.add(final.from.line, "the final stage is based on %s: base it on a small runtime image, not on the toolchain", final.image)
	}
	switch {
	case final.user == nil:
		c.add(final.from.line, "the final stage sets no USER: it would run as the base image's user; set a non-root USER")
	case isRoot(final.user.args):
		c.add(final.user.line, "USER %s runs the commands as root; use a non-root user", strings.Join(final.user.args, " "))
	}
}

// instructions splits a Dockerfile into instructions, joining continuation lines and dropping
// comments and blank lines.
func instructions(src string) []instruction {
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasPrefix(trimmed, "#") {
			continue // a comment inside a continued instruction
		}
		if body, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(trimmed)
		fields := strings.Fields(cur.String())
		cur.Reset()
		if len(fields) > 0 {
			out = append(out, instruction{line: start, cmd: strings.ToUpper(fields[0]), args: fields[1:]})
		}
	}
	return out
}

func withoutFlags(args []string) []string {
	for len(args) > 0 && strings.HasPrefix(args[0], "--") {
		args = args[1:]
	}
	return args
}

// repository is an image reference without registry host, tag and digest: "golang" for
// "docker.io/library/golang:1.26@sha256:…".
func repository(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	image = strings.TrimPrefix(image, "docker.io/")
	return strings.TrimPrefix(image, "library/")
}

func isRoot(args []string) bool {
	if len(args) == 0 {
		return true
	}
	user, _, _ := strings.Cut(args[0], ":")
	return user == "root" || user == "0"
}
