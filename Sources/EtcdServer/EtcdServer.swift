// EtcdServer: services, apply loop, configuration.
