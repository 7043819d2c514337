// Runs the protoc compiler, the independent oracle of the codec tests.

import Foundation
import XCTest

struct OracleError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum Protoc {
    /// The repository root, found from this file's path (Tests/EtcdWireTests/Support/Protoc.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var protosDirectory: URL { repositoryRoot.appendingPathComponent("Protos") }

    /// `protoc` from PATH, or nil.
    static func locate() -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("protoc")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Runs protoc with `arguments`, feeding `input` on stdin; returns stdout.
    /// Files carry stdin and stdout so large batches cannot deadlock on pipe buffers.
    static func run(_ protoc: URL, _ arguments: [String], input: Data = Data(), in directory: URL) throws -> Data {
        let stdinURL = directory.appendingPathComponent("stdin-\(UUID().uuidString)")
        let stdoutURL = directory.appendingPathComponent("stdout-\(UUID().uuidString)")
        try input.write(to: stdinURL)
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: stdinURL)
            try? FileManager.default.removeItem(at: stdoutURL)
        }
        let process = Process()
        let stderr = Pipe()
        process.executableURL = protoc
        process.arguments = arguments
        process.standardInput = try FileHandle(forReadingFrom: stdinURL)
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = stderr
        try process.run()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OracleError("protoc \(arguments.joined(separator: " ")) failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return try Data(contentsOf: stdoutURL)
    }
}
