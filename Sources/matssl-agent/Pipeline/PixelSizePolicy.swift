import MatSSLLite

/// Pixel size: from the file when it carries one, else from config, else unknown — never guessed.
/// Also maps the configured limits onto the decoder's.
enum PixelSizePolicy {
    /// Micrometres per pixel (nil = unknown) and where it came from (`PixelSizeSource` raw values).
    static func resolve(info: ImageInfo, config: AgentConfig) -> (Double?, String) {
        if let fromFile = info.pixelSize, fromFile.micrometresPerPixel > 0 {
            return (fromFile.micrometresPerPixel, fromFile.source.rawValue)
        }
        if config.pixelSizeMicrometres > 0 { return (config.pixelSizeMicrometres, PixelSizeSource.config.rawValue) }
        return (nil, PixelSizeSource.none.rawValue)
    }

    static func limits(_ config: AgentConfig) -> DecodeLimits {
        DecodeLimits(maxPixels: config.maxPixels)
    }
}
