package inspect

import (
	"os"
	"testing"
)

// BenchmarkELFStrings scans a real Go executable (this test binary, built by the same linker
// as kubelet) for string headers, as the version checks do: the cost of the data sections
// of a real binary, which the test disks' small synthetic binaries do not have.
func BenchmarkELFStrings(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	b.SetBytes(st.Size())
	var n int
	for b.Loop() {
		strs, err := elfStrings(f)
		if err != nil {
			b.Fatal(err)
		}
		n = len(strs)
	}
	b.ReportMetric(float64(n), "strings")
}
