// Watchers and event fan-out over the MVCC history.
