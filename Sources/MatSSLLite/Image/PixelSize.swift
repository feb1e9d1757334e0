/// Where a pixel size came from. Metadata written by the microscope wins over generic resolution tags.
public enum PixelSizeSource: String, Codable, Sendable {
    /// TIFF XResolution + ResolutionUnit (inch or centimetre).
    case tiffResolution = "tiff-resolution"
    /// PNG pHYs chunk with unit metre.
    case pngPhys = "png-phys"
    /// FEI/Thermo Fisher tag 34682, `[Scan]` `PixelWidth=` in metres.
    case feiMetadata = "fei-tag-34682"
    /// Zeiss SmartSEM tag 34118, `Image Pixel Size = 2.5 nm`.
    case zeissMetadata = "zeiss-tag-34118"
    /// Given by the site's configuration.
    case config
    /// Unknown.
    case none
}

/// Physical size of one pixel (square pixels assumed: the X value).
public struct PixelSize: Codable, Equatable, Sendable {
    public var micrometresPerPixel: Double
    public var source: PixelSizeSource

    public init(micrometresPerPixel: Double, source: PixelSizeSource) {
        self.micrometresPerPixel = micrometresPerPixel
        self.source = source
    }
}
