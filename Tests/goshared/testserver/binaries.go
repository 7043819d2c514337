package testserver

import (
	"fmt"
	"os"
)

// ServerBinary reads <suite>_TARGET ("etcd", the default, or "swift-etcd")
// and returns the target and the binary to run: $ETCD_BIN or /usr/bin/etcd,
// or $SWIFT_ETCD_BIN. The target is returned even with an error, for the
// caller's message.
func ServerBinary(suite string) (target, bin string, err error) {
	target = os.Getenv(suite + "_TARGET")
	if target == "" {
		target = "etcd"
	}
	switch target {
	case "etcd":
		bin = os.Getenv("ETCD_BIN")
		if bin == "" {
			bin = "/usr/bin/etcd"
		}
	case "swift-etcd":
		bin = os.Getenv("SWIFT_ETCD_BIN")
		if bin == "" {
			return target, "", fmt.Errorf("%s_TARGET=swift-etcd needs SWIFT_ETCD_BIN", suite)
		}
	default:
		return target, "", fmt.Errorf("unknown %s_TARGET %q (want etcd or swift-etcd)", suite, target)
	}
	if _, err := os.Stat(bin); err != nil {
		return target, "", fmt.Errorf("server binary: %v", err)
	}
	return target, bin, nil
}

// EtcdctlBinary returns $ETCDCTL_BIN or /usr/bin/etcdctl, once it exists.
func EtcdctlBinary() (string, error) {
	path := os.Getenv("ETCDCTL_BIN")
	if path == "" {
		path = "/usr/bin/etcdctl"
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("etcdctl binary: %v", err)
	}
	return path, nil
}
