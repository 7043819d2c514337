package testserver

import (
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

// QuietLog keeps clientv3's retry warnings out of the test output.
func QuietLog() *zap.Config {
	c := zap.NewProductionConfig()
	c.Level = zap.NewAtomicLevelAt(zap.ErrorLevel)
	c.OutputPaths = []string{"stderr"}
	c.ErrorOutputPaths = []string{"stderr"}
	return &c
}

// NewClient returns a clientv3 client of endpoints with QuietLog.
func NewClient(endpoints []string, dialTimeout time.Duration, opts ...grpc.DialOption) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: dialTimeout,
		DialOptions: opts,
		LogConfig:   QuietLog(),
	})
}
