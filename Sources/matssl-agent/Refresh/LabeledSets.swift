import Foundation
import MatSSLLite

/// The site's labeled data for a refresh: the training part (fine-tuning), the held-out part (the
/// gate) and the calibration images (quantizing the candidate).
struct LabeledSets {
    var train: [TrainImage]
    var heldout: [TrainImage]
    var calibrationPaths: [String]
    var pointer: [String: String]

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads the sets named in the config; where the config names none, the pointer the current
    /// model carries (`QuantizedModelInfo.trainingData`: keys `images`, `masks`, `heldout_list`).
    static func load(_ c: RefreshConfig, modelPointer: [String: String], log: (String) -> Void) throws -> LabeledSets {
        let images = c.labeledImages.isEmpty ? modelPointer["images"] ?? "" : c.labeledImages
        let masks = c.labeledMasks.isEmpty ? modelPointer["masks"] ?? "" : c.labeledMasks
        let listFile = c.heldoutList.isEmpty && c.heldoutImages.isEmpty ? modelPointer["heldout_list"] ?? "" : c.heldoutList
        guard !images.isEmpty, !masks.isEmpty else {
            throw Missing(description: "no labeled set: set refresh.labeled_images and refresh.labeled_masks (the current model names none)")
        }
        let heldoutStems = listFile.isEmpty ? Set<String>() : try DatasetLoader.readList(listFile)
        let bar = c.labeledDataBarRows
        let train = try DatasetLoader.loadLabeled(imageDir: images, maskDir: masks, exclude: heldoutStems, dataBarRows: bar, limits: c.decodeLimits, log: log)
        let heldout: [TrainImage]
        if !c.heldoutImages.isEmpty {
            heldout = try DatasetLoader.loadLabeled(imageDir: c.heldoutImages, maskDir: c.heldoutMasks, dataBarRows: bar, limits: c.decodeLimits, log: log)
        } else if !heldoutStems.isEmpty {
            heldout = try DatasetLoader.loadLabeled(imageDir: images, maskDir: masks, include: heldoutStems, dataBarRows: bar, limits: c.decodeLimits, log: log)
        } else {
            throw Missing(description: "no held-out set: set refresh.heldout_list (stems inside the labeled folder) or refresh.heldout_images/heldout_masks")
        }
        guard !heldout.isEmpty else { throw Missing(description: "the held-out set is empty") }
        let calDir = c.calibration.isEmpty ? images : c.calibration
        let heldNames = Set(heldout.map(\.name))
        var cal = try DatasetLoader.imageFiles(in: calDir).filter {
            !heldNames.contains((($0 as NSString).lastPathComponent as NSString).deletingPathExtension)
        }
        if cal.count > c.calibrationMaxImages { cal = (0..<c.calibrationMaxImages).map { cal[$0 * cal.count / c.calibrationMaxImages] } }
        var pointer = ["images": images, "masks": masks]
        if !listFile.isEmpty { pointer["heldout_list"] = listFile }
        if !c.heldoutImages.isEmpty { pointer["heldout_images"] = c.heldoutImages; pointer["heldout_masks"] = c.heldoutMasks }
        if bar > 0 { pointer["labeled_data_bar_rows"] = "\(bar)" }
        return LabeledSets(train: train, heldout: heldout, calibrationPaths: cal, pointer: pointer)
    }
}
