import EtcdServer
