package record

import (
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/testutil/fuzzseed"
)

// FuzzDecode feeds arbitrary bytes to the decoders of every format, as publish, build and
// matrix read them from files others wrote: each may refuse them, never panic, and every
// refusal names the file. Seeds are the records and cells under testdata folders.
func FuzzDecode(f *testing.F) {
	fuzzseed.Add(f, "../publish/testdata/*/*/*.json", "../../cmd/build/testdata/*.json")
	f.Add([]byte(`{"apiVersion":"imagegrid.io/v1alpha1","kind":"PublishRecord","cell":{"id":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.json"
		kind, err := PeekKind(name, data)
		if err != nil && !strings.HasPrefix(err.Error(), name+": ") {
			t.Fatalf("PeekKind error does not name the file: %v", err)
		}
		check := func(gotKind string, err error, want string) {
			if err != nil && !strings.HasPrefix(err.Error(), name) {
				t.Fatalf("%s: error does not name the file: %v", want, err)
			}
			if err == nil && gotKind != want {
				t.Fatalf("decoded a %s as %s", gotKind, want)
			}
		}
		c, err := Decode[Cell](name, data, KindCell)
		check(c.Kind, err, KindCell)
		b, err := Decode[BuildRecord](name, data, KindBuildRecord)
		check(b.Kind, err, KindBuildRecord)
		if err == nil && kind != KindBuildRecord {
			t.Fatalf("PeekKind says %q of a build record", kind)
		}
		p, err := Decode[PublishRecord](name, data, KindPublishRecord)
		check(p.Kind, err, KindPublishRecord)
		l, err := Decode[PublishedImages](name, data, KindPublishedImages)
		check(l.Kind, err, KindPublishedImages)
	})
}
