import MatSSLLite

/// Pixel size: from the file when it carries one, else from config, else unknown — never guessed.
/// Also maps the configured limits onto the decoder's.
enum PixelSizePolicy {
    static func resolve(info: ImageInfo, config: AgentConfig) -> (Double?, String) {
        if let fromFile = info.pixelSizeMicrometres, fromFile > 0 { return (fromFile, "file") }
        if config.pixelSizeMicrometres > 0 { return (config.pixelSizeMicrometres, "config") }
        return (nil, "unknown")
    }

    static func limits(_ config: AgentConfig) -> DecodeLimits {
        DecodeLimits(maxBytes: config.maxFileMegabytes << 20, maxPixels: config.maxPixels)
    }
}
