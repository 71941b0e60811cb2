package actions

import (
	"flag"
	"fmt"
	"strings"
)

// StringList is a flag that may be given many times; as an action input, one value per line.
type StringList []string

// String implements flag.Value.
func (l *StringList) String() string { return strings.Join(*l, ",") }

// Set implements flag.Value by appending.
func (l *StringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// ApplyInputs gives every flag not set on the command line the value of the action input of
// the same name (INPUT_<NAME>), when that input is not empty. A StringList flag takes one value
// per non-empty line of its input. Flags given explicitly win; flags named in except are left
// alone (their input means something else, such as build's cell input holding the JSON that
// its --cell flag names a file of).
func (r *Runner) ApplyInputs(fs *flag.FlagSet, except ...string) error {
	explicit := map[string]bool{}
	for _, name := range except {
		explicit[name] = true
	}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		value := r.Input(f.Name)
		if err != nil || explicit[f.Name] || value == "" {
			return
		}
		values := []string{value}
		if _, ok := f.Value.(*StringList); ok {
			values = nil
			for line := range strings.SplitSeq(value, "\n") {
				if line = strings.TrimSpace(line); line != "" {
					values = append(values, line)
				}
			}
		}
		for _, v := range values {
			if setErr := fs.Set(f.Name, v); setErr != nil {
				err = fmt.Errorf("input %s: %w", f.Name, setErr)
				return
			}
		}
	})
	return err
}
