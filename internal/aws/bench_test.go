package aws

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/moto"
	"github.com/imagegrid/imagegrid/internal/testutil/peers"
)

// benchRegions are 15 regions besides the source's.
var benchRegions = []string{
	"us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
	"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
	"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
}

// benchRounds counts the rounds of BenchmarkCopyAMI in this process, for peers.Interleave.
var benchRounds int

// BenchmarkCopyAMI publishes one AMI from us-east-1 to one region and, in the same round
// (order alternating), to 15 regions, with the default parallel (5 regions of the account
// calling the API at once). Through the fault proxy every EC2 call is 100 ms away, every
// copy stays pending for 8 s (minutes in AWS), and a call that arrives while 10 are in
// flight is throttled (RequestLimitExceeded). The poll interval is 500 ms instead of 15 s,
// to keep the copy/poll proportion of a real copy. Run it with:
//
//	go test ./internal/aws -run '^$' -bench CopyAMI -benchtime 1x -count 5
func BenchmarkCopyAMI(b *testing.B) {
	server := moto.Start(b)
	proxy := moto.NewProxy(b, server)
	source := record.AMIArtifact{Region: "us-east-1", ID: server.ImageBuilderAMI(b, "us-east-1")}
	server.Warm(b, benchRegions...)
	proxy.Latency(100 * time.Millisecond)
	proxy.HoldCopies(8 * time.Second)
	proxy.ThrottleAbove(10)
	keys := 0
	publish := func(regions []string) {
		keys++
		cfg := &publishconfig.AWS{
			AWSTarget: record.AWSTarget{Regions: regions, Accounts: []string{"111122223333"}}, Parallel: publishconfig.DefaultParallel,
			WaitTimeout: 5 * time.Minute, PollInterval: 500 * time.Millisecond,
		}
		rec := testRecord(source)
		rec.Cell.BuildKey = fmt.Sprintf("%064d", keys) // nothing to reuse
		if _, err := New(cfg, moto.Config(), Options{Endpoint: proxy.URL}).Publish(context.Background(), rec, ""); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		benchRounds++
		throttled := proxy.Throttled()
		one, all := peers.Interleave(benchRounds, func() { publish(benchRegions[2:3]) }, func() { publish(benchRegions) })
		b.ReportMetric(one.Seconds(), "1-region-s")
		b.ReportMetric(all.Seconds(), "15-regions-s")
		b.ReportMetric(all.Seconds()/one.Seconds(), "15/1")
		b.ReportMetric(float64(proxy.Throttled()-throttled), "throttled")
	}
}
