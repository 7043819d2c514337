import Dispatch
import EtcdServer
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// The process environment, split at each entry's first `=` (a later duplicate wins, as in
/// Foundation's `ProcessInfo.environment`).
func processEnvironment() -> [String: String] {
    var environment: [String: String] = [:]
    var entry = environ
    while let pointer = entry.pointee {
        let text = String(cString: pointer)
        if let equals = text.firstIndex(of: "=") {
            environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        entry += 1
    }
    return environment
}

// `swift-etcd snapshot restore|status ...` works on files offline; it starts no member.
if CommandLine.arguments.dropFirst().first == "snapshot" {
    exit(SnapshotCommand.run(Array(CommandLine.arguments.dropFirst(2))))
}

/// Entry point: flags → configuration → server; SIGTERM/SIGINT stop it cleanly with exit 0.
let invocation: ServerConfiguration.Invocation
do {
    invocation = try ServerConfiguration.invocation(
        arguments: Array(CommandLine.arguments.dropFirst()),
        environment: processEnvironment())
} catch {
    fputs("swift-etcd: \(error)\nRun 'swift-etcd --help' for the list of flags.\n", stderr)
    exit(1)
}

let configuration: ServerConfiguration
switch invocation {
case .printVersion:
    print("swift-etcd Version: \(SwiftEtcdVersion.current)\netcd API Version: \(EtcdServer.serverVersion)")
    exit(0)
case .printHelp:
    print(ServerConfiguration.usage)
    exit(0)
case .run(let parsed):
    configuration = parsed
}

LoggingSystem.bootstrap { label in
    LineLogHandler(label: label, level: configuration.logLevel,
                   json: configuration.logger == .zap, toStdout: configuration.logToStdout)
}
let logger = Logger(label: "etcdserver")
let server: EtcdServer
do {
    server = try EtcdServer(configuration: configuration, logger: logger)
} catch {
    logger.critical("cannot start: \(error)")
    exit(1)
}

// Signals are handled on a dispatch queue, not in the async-signal context; installed before
// `start`, which waits for the cluster, so that a stop request then is a clean stop too.
let signalQueue = DispatchQueue(label: "signals")
var signalSources: [DispatchSourceSignal] = []
for signalNumber in [SIGTERM, SIGINT] {
    signal(signalNumber, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: signalQueue)
    source.setEventHandler {
        logger.info("received signal; shutting down", metadata: ["signal": "\(signalNumber == SIGTERM ? "terminated" : "interrupt")"])
        server.shutdown()
        exit(0)
    }
    source.resume()
    signalSources.append(source)
}

do {
    try server.start()
} catch {
    logger.critical("cannot start: \(error)")
    exit(1)
}
dispatchMain()
