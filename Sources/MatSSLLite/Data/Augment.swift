import Foundation

/// Dihedral transform (flip + 90° rotation): maps output coordinates (u, v) in [0,1)² of the view
/// to the crop's coordinates. Micrographs have no "up", so all 8 are valid.
struct Dihedral {
    let k: Int, flip: Bool
    init(_ rng: inout RandomState) { k = rng.int(4); flip = rng.bool() }
    @inline(__always) func map(_ u: Float, _ v: Float) -> (Float, Float) {
        var a = flip ? 1 - u : u, b = v
        for _ in 0..<k { let t = a; a = b; b = 1 - t }
        return (a, b)
    }
}

/// Augmentations for SSL views and fine-tuning crops. All randomness comes from the given generator.
public enum Augment {
    /// A SimCLR-style view: random resized crop (area scale 0.2–1, aspect 3/4–4/3) to size²,
    /// flip/rotation, brightness/contrast jitter (p 0.8), Gaussian blur (p 0.5), noise (p 0.5).
    /// Writes size² floats in [0, 1] into `out`.
    public static func sslView(_ img: TrainImage, size: Int, rng: inout RandomState, out: UnsafeMutablePointer<Float>) {
        let area = Float(img.width * img.height)
        var cw = Float(img.width), ch = Float(img.height)
        for _ in 0..<10 {
            let s = rng.uniform(0.2, 1.0) * area
            let r = exp(rng.uniform(log(3.0 / 4.0), log(4.0 / 3.0)))
            let w = (s * r).squareRoot(), h = (s / r).squareRoot()
            if w <= Float(img.width) && h <= Float(img.height) { cw = w; ch = h; break }
            cw = min(Float(img.width), Float(img.height)); ch = cw
        }
        let x0 = rng.uniform(0, Float(img.width) - cw + 1e-3), y0 = rng.uniform(0, Float(img.height) - ch + 1e-3)
        let d = Dihedral(&rng)
        resample(img, x0: x0, y0: y0, cw: cw, ch: ch, size: size, d: d, out: out)
        let n = size * size
        if rng.bool(0.8) {
            let b = rng.uniform(0.6, 1.4), c = rng.uniform(0.6, 1.4)
            var mean: Float = 0
            for i in 0..<n { mean += out[i] }
            mean /= Float(n)
            for i in 0..<n { out[i] = ((out[i] - mean) * c + mean) * b }
        }
        if rng.bool(0.5) { gaussianBlur(out, size: size, sigma: rng.uniform(0.1, 2.0)) }
        if rng.bool(0.5) {
            let sd = rng.uniform(0, 0.04)
            for i in 0..<n { out[i] += sd * rng.normal() }
        }
        for i in 0..<n { out[i] = min(max(out[i], 0), 1) }
    }

    /// Bilinear resampling of the crop (x0, y0, cw, ch) to size², through a dihedral transform.
    static func resample(_ img: TrainImage, x0: Float, y0: Float, cw: Float, ch: Float, size: Int, d: Dihedral,
                         out: UnsafeMutablePointer<Float>) {
        let inv = 1 / Float(size)
        img.pixels.withUnsafeBufferPointer { px in
            let W = img.width, H = img.height
            for i in 0..<size {
                for j in 0..<size {
                    let (u, v) = d.map((Float(j) + 0.5) * inv, (Float(i) + 0.5) * inv)
                    let sx = min(max(x0 + u * cw - 0.5, 0), Float(W - 1)), sy = min(max(y0 + v * ch - 0.5, 0), Float(H - 1))
                    let ix = Int(sx), iy = Int(sy), fx = sx - Float(ix), fy = sy - Float(iy)
                    let ix1 = min(ix + 1, W - 1), iy1 = min(iy + 1, H - 1)
                    let a = Float(px[iy * W + ix]), b = Float(px[iy * W + ix1])
                    let c = Float(px[iy1 * W + ix]), e = Float(px[iy1 * W + ix1])
                    out[i * size + j] = ((a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + e * fx) * fy) * (1 / 255)
                }
            }
        }
    }

    /// Separable Gaussian blur in place (edge clamp).
    static func gaussianBlur(_ p: UnsafeMutablePointer<Float>, size: Int, sigma: Float) {
        let r = max(1, Int((3 * sigma).rounded(.up)))
        var k = (-r...r).map { exp(-Float($0 * $0) / (2 * sigma * sigma)) }
        let s = k.reduce(0, +); k = k.map { $0 / s }
        var tmp = [Float](repeating: 0, count: size * size)
        for i in 0..<size { for j in 0..<size {
            var a: Float = 0
            for t in -r...r { a += k[t + r] * p[i * size + min(max(j + t, 0), size - 1)] }
            tmp[i * size + j] = a
        } }
        for i in 0..<size { for j in 0..<size {
            var a: Float = 0
            for t in -r...r { a += k[t + r] * tmp[min(max(i + t, 0), size - 1) * size + j] }
            p[i * size + j] = a
        } }
    }

    /// A fine-tuning crop: random size² window of image + mask (pixels outside the image get label
    /// `ignore` and value 0.5), random flip/rotation, brightness/contrast `jitter`.
    /// `out` [size, size], `labels` [size, size].
    public static func segmentationCrop(_ img: TrainImage, size: Int, rng: inout RandomState, ignore: UInt8,
                                        jitter: IntensityJitter = .mild,
                                        out: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<UInt8>) {
        let x0 = img.width > size ? rng.int(img.width - size + 1) : 0
        let y0 = img.height > size ? rng.int(img.height - size + 1) : 0
        let d = Dihedral(&rng)
        let lab = img.labels!
        for i in 0..<size {
            for j in 0..<size {
                // integer dihedral map (exact, no resampling)
                var a = j, b = i
                if d.flip { a = size - 1 - a }
                for _ in 0..<d.k { let t = a; a = b; b = size - 1 - t }
                let sx = x0 + a, sy = y0 + b
                if sx < img.width && sy < img.height {
                    out[i * size + j] = img.pixel(sx, sy)
                    labels[i * size + j] = lab[sy * img.width + sx]
                } else {
                    out[i * size + j] = 0.5
                    labels[i * size + j] = ignore
                }
            }
        }
        jitter.apply(out, count: size * size, rng: &rng)
    }
}
