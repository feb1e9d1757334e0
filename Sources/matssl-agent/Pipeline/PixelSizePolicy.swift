import MatSSLLite

/// Pixel size: from the file when it carries one, else from config, else unknown — never guessed.
/// Also maps the configured limits onto the decoder's.
enum PixelSizePolicy {
    /// The pixel size to measure with (nil = unknown; statistics then stay in pixels).
    static func resolve(info: ImageInfo, config: AgentConfig) -> PixelSize? {
        if let fromFile = info.pixelSize, fromFile.micrometresPerPixel > 0 { return fromFile }
        if config.pixelSizeMicrometres > 0 { return PixelSize(micrometresPerPixel: config.pixelSizeMicrometres, source: .config) }
        return nil
    }

    static func limits(_ config: AgentConfig) -> DecodeLimits {
        DecodeLimits(maxPixels: config.maxPixels, intensity: config.intensityRange)
    }
}
