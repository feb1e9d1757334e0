/// Limits checked against an image's header before any pixel memory is allocated.
public struct DecodeLimits: Sendable, Equatable {
    /// Largest width × height accepted. Default 268_435_456 (16384²): 1 GiB of Float output.
    public var maxPixels: Int
    /// When true, a file whose extension names a different format than its content is refused with
    /// `ImageError.wrongExtension`. Default false: content decides, `ImageInfo.note` records the mismatch.
    public var requireMatchingExtension: Bool

    public init(maxPixels: Int = 268_435_456, requireMatchingExtension: Bool = false) {
        self.maxPixels = maxPixels
        self.requireMatchingExtension = requireMatchingExtension
    }

    public static let `default` = DecodeLimits()
}
