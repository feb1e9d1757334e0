import Foundation

/// `X.error.json`: why a file could not be processed.
struct ImageErrorRecord: Codable, Equatable {
    var file: String
    var path: String
    var reason: String
    var contentSHA256: String
    var size: Int64
    var created: String
    var agentVersion: String

    enum CodingKeys: String, CodingKey {
        case file, path, reason, size, created
        case contentSHA256 = "content_sha256"
        case agentVersion = "agent_version"
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
