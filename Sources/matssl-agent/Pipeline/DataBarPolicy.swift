import MatSSLLite

/// The SEM data bar of one image: from the file when its metadata gives the scanned frame's height
/// (FEI/Thermo), else the configured rows, else none — the same precedence as the pixel size.
enum DataBarPolicy {
    static func resolve(info: ImageInfo, configuredRows: Int) -> (rows: Int, source: DataBarSource) {
        if let rows = info.dataBarRows { return (rows, .feiMetadata) }
        return configuredRows > 0 ? (configuredRows, .config) : (0, .none)
    }

    /// `options` with the image's data bar.
    static func statistics(_ options: StatisticsOptions, info: ImageInfo) -> StatisticsOptions {
        var o = options
        (o.dataBarRows, o.dataBarSource) = resolve(info: info, configuredRows: options.dataBarRows)
        return o
    }
}
