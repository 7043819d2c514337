package testserver

// MemberFlags are the etcd flags every suite gives a member: its name, data
// dir, client and peer URLs (listened on and advertised) and the initial
// cluster ("name=peerURL,..."). Callers append the rest.
func MemberFlags(name, dataDir, clientURL, peerURL, initialCluster string) []string {
	return []string{
		"--name", name,
		"--data-dir", dataDir,
		"--listen-client-urls", clientURL,
		"--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL,
		"--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", initialCluster,
	}
}
