// Leases: grant, renew, expiry ordering (pure; no clock inside).
