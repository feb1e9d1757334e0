/// One of the eight symmetries of the square (flips, 90° rotations, transposes). Micrographs have no
/// "up", so a segmentation network's logits averaged over these views of an image are a better
/// estimate than one view's (test-time augmentation).
public enum DihedralTransform: Int, CaseIterable, Sendable {
    case identity, flipH, flipV, rot180, transpose, rot90, rot270, antiTranspose

    /// Size of the transformed image: `[h, w]` → `[h', w']` (swapped by the transposing ones).
    public func outputSize(height h: Int, width w: Int) -> (height: Int, width: Int) {
        rawValue >= DihedralTransform.transpose.rawValue ? (w, h) : (h, w)
    }

    /// The pixel `(y, x)` of the original `h` × `w` image shown at `(ty, tx)` of the transformed one.
    /// (`rot90` is counter-clockwise, as numpy's `rot90`.)
    @inline(__always)
    public func source(_ ty: Int, _ tx: Int, height h: Int, width w: Int) -> (y: Int, x: Int) {
        switch self {
        case .identity: return (ty, tx)
        case .flipH: return (ty, w - 1 - tx)
        case .flipV: return (h - 1 - ty, tx)
        case .rot180: return (h - 1 - ty, w - 1 - tx)
        case .transpose: return (tx, ty)
        case .rot90: return (tx, w - 1 - ty)
        case .rot270: return (h - 1 - tx, ty)
        case .antiTranspose: return (h - 1 - tx, w - 1 - ty)
        }
    }

    /// Where the pixel `(y, x)` of the original `h` × `w` image lands in the transformed one (the
    /// inverse of `source`).
    public func target(_ y: Int, _ x: Int, height h: Int, width w: Int) -> (ty: Int, tx: Int) {
        switch self {
        case .identity: return (y, x)
        case .flipH: return (y, w - 1 - x)
        case .flipV: return (h - 1 - y, x)
        case .rot180: return (h - 1 - y, w - 1 - x)
        case .transpose: return (x, y)
        case .rot90: return (w - 1 - x, y)
        case .rot270: return (x, h - 1 - y)
        case .antiTranspose: return (w - 1 - x, h - 1 - y)
        }
    }

    /// The rectangle of the transformed image that shows `rect` of the original `h` × `w` image.
    public func viewRect(_ rect: GridRect, height h: Int, width w: Int) -> GridRect {
        guard !rect.isEmpty else { return rect }
        let a = target(rect.y0, rect.x0, height: h, width: w), b = target(rect.y1 - 1, rect.x1 - 1, height: h, width: w)
        return GridRect(y0: min(a.ty, b.ty), y1: max(a.ty, b.ty) + 1, x0: min(a.tx, b.tx), x1: max(a.tx, b.tx) + 1)
    }

    /// `source` along one row of the transformed image, which every symmetry maps to a line:
    /// `source(ty, tx) == (y0 + tx·dy, x0 + tx·dx)` for all tx, with dy, dx in {−1, 0, 1}.
    @inline(__always)
    public func rowMap(_ ty: Int, height h: Int, width w: Int) -> (y0: Int, x0: Int, dy: Int, dx: Int) {
        let a = source(ty, 0, height: h, width: w), b = source(ty, 1, height: h, width: w)
        return (a.y, a.x, b.y - a.y, b.x - a.x)
    }

    /// The transformed image. `pixels`: `[h, w]`; result: `[h', w']` (see `outputSize`).
    public func apply<T>(_ pixels: UnsafeBufferPointer<T>, height h: Int, width w: Int) -> [T] {
        precondition(pixels.count >= h * w)
        if self == .identity { return Array(pixels.prefix(h * w)) }
        let (th, tw) = outputSize(height: h, width: w)
        guard th * tw > 0 else { return [] }
        let src = pixels.baseAddress!
        return [T](unsafeUninitializedCapacity: th * tw) { out, count in
            let dst = out.baseAddress!
            for ty in 0..<th {
                let m = rowMap(ty, height: h, width: w)
                var o = m.y0 * w + m.x0
                let step = m.dy * w + m.dx
                let row = dst + ty * tw
                for tx in 0..<tw {
                    (row + tx).initialize(to: src[o])
                    o += step
                }
            }
            count = th * tw
        }
    }
}

/// Which views of an image segmentation averages the logits over.
public enum TestTimeAugmentation: String, CaseIterable, Sendable, Codable {
    /// The image as it is (one pass).
    case none
    /// The image and its horizontal, vertical and double flips (4 passes).
    case flips
    /// All eight symmetries of the square (8 passes).
    case d4

    public var transforms: [DihedralTransform] {
        switch self {
        case .none: return [.identity]
        case .flips: return [.identity, .flipH, .flipV, .rot180]
        case .d4: return DihedralTransform.allCases
        }
    }

    /// Network passes per image.
    public var passes: Int { transforms.count }
}
