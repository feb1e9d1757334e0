import Foundation
@testable import matssl_agent
import Testing

/// One config file serves the daemon and the nightly refresh: the daemon must accept `[refresh]`.
@Suite("Config: the refresh section")
struct ConfigRefreshSectionTests {
    @Test func theDaemonAcceptsARefreshSectionButNotUnknownKeysInIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let good = dir.appendingPathComponent("good.toml").path
        try "[watch]\nroots = [\"\(dir.path)\"]\n[refresh]\nmax_minutes = 60\n".write(toFile: good, atomically: true, encoding: .utf8)
        _ = try ConfigLoader.load(path: good)
        let bad = dir.appendingPathComponent("bad.toml").path
        try "[watch]\nroots = [\"\(dir.path)\"]\n[refresh]\nmax_minutez = 60\n".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try ConfigLoader.load(path: bad) }
    }
}
