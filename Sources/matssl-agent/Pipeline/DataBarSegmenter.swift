import MatSSLLite

/// An SEM data bar (scale, magnification and detector text on a panel at the image bottom) left out
/// of segmentation: the engine sees only the rows above the bar — the bar's text never reaches the
/// network or Otsu's histogram, and the micrograph's last rows are segmented like any image edge —
/// and the bar's rows of the mask are `LabelMask.notAnalysed` (255), so the mask says "no class"
/// there (and the overlay leaves the bar grey and readable) instead of inventing phases.
///
/// Masks: `[H, W]` for an `[H, W]` image, rows `H - rows ..< H` all 255.
class DataBarSegmenter: ImageSegmenter {
    let inner: ImageSegmenter
    /// Rows of data bar at the bottom of every image (> 0).
    let rows: Int

    /// `inner` behind a data bar of `rows` rows (`inner` itself when `rows` is 0); streams when
    /// `inner` does.
    static func wrap(_ inner: ImageSegmenter, rows: Int) -> ImageSegmenter {
        guard rows > 0 else { return inner }
        if let streaming = inner as? StreamingSegmenter { return StreamingDataBarSegmenter(streaming: streaming, rows: rows) }
        return DataBarSegmenter(inner: inner, rows: rows)
    }

    /// A streaming engine behind a data bar streams too.
    static func wrap(_ inner: StreamingSegmenter, rows: Int) -> StreamingSegmenter {
        rows > 0 ? StreamingDataBarSegmenter(streaming: inner, rows: rows) : inner
    }

    fileprivate init(inner: ImageSegmenter, rows: Int) {
        precondition(rows > 0, "a data bar has rows")
        self.inner = inner
        self.rows = rows
    }

    var modelName: String { inner.modelName }
    var modelVersion: String { inner.modelVersion }
    var classNames: [String] { inner.classNames }
    var palette: [RGB8] { inner.palette }
    var testTimeAugmentation: String? { inner.testTimeAugmentation }

    func segment(_ image: GrayImage) throws -> LabelMask {
        guard let top = image.droppingBottomRows(rows) else { throw tooShort(width: image.width, height: image.height) }
        return try inner.segment(top).appendingRows(rows, value: LabelMask.notAnalysed)
    }

    func tooShort(width: Int, height: Int) -> SegmenterError {
        SegmenterError(description: "the configured data bar of \(rows) rows leaves nothing of this \(width)×\(height) image (statistics.data_bar_rows)")
    }
}

/// The same for an engine that reads row bands: the bar's rows are not even decoded.
final class StreamingDataBarSegmenter: DataBarSegmenter, StreamingSegmenter {
    private let streaming: StreamingSegmenter

    fileprivate init(streaming: StreamingSegmenter, rows: Int) {
        self.streaming = streaming
        super.init(inner: streaming, rows: rows)
    }

    /// The top `top` rows of the image, of which the bottom `rows` are the bar (callers pass the
    /// image height).
    func segment(reader: ImageRowReader, rows top: Int) throws -> LabelMask {
        guard top > rows else { throw tooShort(width: reader.info.width, height: top) }
        return try streaming.segment(reader: reader, rows: top - rows).appendingRows(rows, value: LabelMask.notAnalysed)
    }
}
