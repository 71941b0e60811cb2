package azure

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/fakegallery"
	"github.com/imagegrid/imagegrid/internal/testutil/peers"
)

// benchRegions are 10 Azure regions; the version is built in the first.
var benchRegions = []string{"eastus", "westeurope", "westus2", "northeurope", "southeastasia",
	"japaneast", "australiaeast", "uksouth", "canadacentral", "brazilsouth"}

// benchRounds counts the rounds of BenchmarkReplicate in this process, for peers.Interleave.
var benchRounds int

// BenchmarkReplicate publishes a version built in eastus to 1 region and, in the same round
// (order alternating), to 10 regions, on the fake gallery with every call 500 ms away and
// each region replicating for 3 reads of the version; the poll interval is 1 s. A fresh
// version each time: nothing is reused. Run it with:
//
//	go test ./internal/azure -run '^$' -bench Replicate -benchtime 1x -count 5
func BenchmarkReplicate(b *testing.B) {
	g := fakegallery.New()
	g.Steps = 3
	g.Latency = 500 * time.Millisecond
	versions := 0
	publish := func(regions []string) {
		versions++
		rec := azureRecord(record.AzureHints{ResourceGroup: "tkg-images", Gallery: "tkg_gallery", Regions: regions, ReplicaCount: 2})
		id := fakegallery.VersionID(subscription, "tkg-images", "tkg_gallery", fmt.Sprintf("capi-bench-%d", versions), "0.3.1")
		rec.Artifacts.Azure[1].ID = id
		g.AddVersion(id, regions[0], nil)
		p := publisher(g, 5*time.Minute, io.Discard)
		p.cfg.PollInterval = time.Second
		if _, err := p.Publish(context.Background(), rec, ""); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		benchRounds++
		one, all := peers.Interleave(benchRounds, func() { publish(benchRegions[:1]) }, func() { publish(benchRegions) })
		b.ReportMetric(one.Seconds(), "1-region-s")
		b.ReportMetric(all.Seconds(), "10-regions-s")
		b.ReportMetric(all.Seconds()/one.Seconds(), "10/1")
	}
}
