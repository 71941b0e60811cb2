package aws

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/moto"
)

// benchRegions are 15 regions besides the source's.
var benchRegions = []string{
	"us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
	"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
	"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
}

// BenchmarkCopyAMI publishes one AMI from us-east-1 to one region, to 15 regions at once and
// to 15 regions one after another, through a proxy that holds every EC2 call for 500 ms.
// Run it with:
//
//	go test ./internal/aws -run '^$' -bench CopyAMI -benchtime 1x
func BenchmarkCopyAMI(b *testing.B) {
	server := moto.Start(b)
	proxy := moto.NewProxy(b, server)
	source := record.AMIArtifact{Region: "us-east-1", ID: server.ImageBuilderAMI(b, "us-east-1")}
	proxy.Latency(500 * time.Millisecond)
	run := 0
	for _, tc := range []struct {
		name     string
		regions  []string
		parallel int
	}{
		{"1-region", benchRegions[2:3], len(benchRegions)},
		{"15-regions-parallel", benchRegions, len(benchRegions)},
		{"15-regions-sequential", benchRegions, 1},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := &publishconfig.AWS{
				Regions: tc.regions, Accounts: []string{"111122223333"}, Parallel: tc.parallel,
				WaitTimeout: 5 * time.Minute, PollInterval: time.Second,
			}
			for range b.N {
				run++
				rec := testRecord(source)
				rec.BuildKey = fmt.Sprintf("%064d", run) // nothing to reuse
				p := New(cfg, moto.Config(), Options{Endpoint: proxy.URL})
				if _, err := p.Publish(context.Background(), rec, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
