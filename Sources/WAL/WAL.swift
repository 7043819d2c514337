// The write-ahead log and snapshot files (see docs/storage-format.md).
