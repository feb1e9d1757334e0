import Foundation

/// Loads training images (and masks) from directories via `ImageDecoder` / `MaskCodec`.
public enum DatasetLoader {
    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "tif", "tiff", "bmp"]

    /// Image files (sorted) directly inside `dir`.
    public static func imageFiles(in dir: String) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw DataError.noImages("cannot list directory \(dir)")
        }
        return names.filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".") }
            .sorted().map { (dir as NSString).appendingPathComponent($0) }
    }

    /// Unlabeled images from several directories, each without its SEM data bar: the rows the
    /// file's metadata records (FEI/Thermo, `ImageInfo.dataBarRows`), else `dataBarRows`.
    /// Unreadable files (and images no taller than the bar) are reported through `log` and skipped.
    /// `limits`: decoding limits and the intensity policy (the daemon's `[image] intensity_range`).
    public static func loadUnlabeled(dirs: [String], dataBarRows: Int = 0, limits: DecodeLimits = .default,
                                     log: (String) -> Void) throws -> [TrainImage] {
        var out: [TrainImage] = []
        for dir in dirs {
            for path in try imageFiles(in: dir) {
                do {
                    let (img, info) = try ImageDecoder.decode(path: path, limits: limits)
                    out.append(try TrainImage(name: path, width: img.width, height: img.height, floatPixels: img.pixels)
                        .droppingBottomRows(info.dataBarRows ?? dataBarRows))
                } catch {
                    log("skipping \(path): \(error)")
                }
            }
        }
        guard !out.isEmpty else { throw DataError.noImages("no readable images in \(dirs.joined(separator: ", "))") }
        return out
    }

    /// Reads a list file: one image stem or file name per line ('#' comments, blank lines ignored).
    public static func readList(_ path: String) throws -> Set<String> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DataError.badList("cannot read \(path)")
        }
        var set = Set<String>()
        for line in text.split(whereSeparator: \.isNewline) {
            let t = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?
                .trimmingCharacters(in: .whitespaces) ?? ""
            if !t.isEmpty { set.insert(((t as NSString).lastPathComponent as NSString).deletingPathExtension) }
        }
        return set
    }

    /// Labeled pairs: image `X.ext` in `imageDir` with mask `X.png` in `maskDir`. `include`: only stems
    /// in the set; `exclude`: stems to leave out. Size mismatches of a few pixels are cropped and logged.
    /// `dataBarRows`: bottom rows (an SEM data bar) dropped from every image and mask after that,
    /// unless the image file records its own (FEI/Thermo, `ImageInfo.dataBarRows`), which wins.
    public static func loadLabeled(imageDir: String, maskDir: String, include: Set<String>? = nil,
                                   exclude: Set<String> = [], dataBarRows: Int = 0, limits: DecodeLimits = .default,
                                   log: (String) -> Void) throws -> [TrainImage] {
        var out: [TrainImage] = []
        for path in try imageFiles(in: imageDir) {
            let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            if let inc = include, !inc.contains(stem) { continue }
            if exclude.contains(stem) { continue }
            let maskPath = (maskDir as NSString).appendingPathComponent(stem + ".png")
            guard FileManager.default.fileExists(atPath: maskPath) else {
                throw DataError.missingMask(image: path, expected: maskPath)
            }
            let (img, info) = try ImageDecoder.decode(path: path, limits: limits)
            let mask = try MaskCodec.read(path: maskPath)
            let (ti, msg) = try reconcileImageAndMask(name: stem, image: (img.width, img.height, img.pixels),
                                                      mask: (mask.width, mask.height, mask.labels))
            if let m = msg { log(m) }
            out.append(try ti.droppingBottomRows(info.dataBarRows ?? dataBarRows, file: path))
        }
        if let inc = include {
            let found = Set(out.map { $0.name })
            let missing = inc.subtracting(found)
            if !missing.isEmpty { throw DataError.badList("listed images not found in \(imageDir): \(missing.sorted().joined(separator: ", "))") }
        }
        return out
    }
}
