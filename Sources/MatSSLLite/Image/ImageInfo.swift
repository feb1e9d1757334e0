/// What a file's header says about an image.
public struct ImageInfo: Codable, Equatable, Sendable {
    public var path: String
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// Samples per pixel stored in the file, including alpha (palette images: 1).
    public var channels: Int
    /// Bits per sample stored in the file.
    public var bitDepth: Int
    /// "gray", "gray+alpha", "rgb", "rgba" or "palette".
    public var colorModel: String
    /// From microscope metadata or resolution tags; nil when the file does not say.
    public var pixelSize: PixelSize?
    /// Rows of SEM data bar below the scanned frame, from microscope metadata
    /// (`DataBarParser`; source `DataBarSource.feiMetadata`); nil when the file does not say.
    public var dataBarRows: Int?
    /// TIFF: number of pages (the first is decoded). PNG/JPEG: 1.
    public var pages: Int?
    /// TIFF compression name ("none", "lzw", "deflate", "packbits", ... or "code N"); nil otherwise.
    public var compression: String?
    /// TIFF: stored as tiles. JPEG: progressive. PNG: Adam7 interlaced.
    public var tiled: Bool
    public var progressive: Bool
    public var interlaced: Bool
    /// Remarks, e.g. "extension .png but content is JPEG".
    public var note: String?
    /// How samples are stored: "uint", "int" (signed) or "float".
    public var sampleFormat: String = "uint"
    /// The raw values mapped to intensity 0 and 1 (`IntensityPolicy`); nil for label masks and for
    /// header-only inspection of images whose range depends on their data.
    public var intensityRange: IntensityRange?

    public init(path: String, format: ImageFormat, width: Int, height: Int, channels: Int, bitDepth: Int,
                colorModel: String, pixelSize: PixelSize?, pages: Int?, compression: String? = nil,
                tiled: Bool = false, progressive: Bool = false, interlaced: Bool = false, note: String? = nil,
                dataBarRows: Int? = nil, sampleFormat: String = "uint", intensityRange: IntensityRange? = nil) {
        self.path = path
        self.format = format
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.colorModel = colorModel
        self.pixelSize = pixelSize
        self.pages = pages
        self.compression = compression
        self.tiled = tiled
        self.progressive = progressive
        self.interlaced = interlaced
        self.note = note
        self.dataBarRows = dataBarRows
        self.sampleFormat = sampleFormat
        self.intensityRange = intensityRange
    }
}
