/// `X.objects.csv`: one row per connected object. Columns: id, class, area_px, ecd_px,
/// (area_um2, ecd_um, centroid_x_um, centroid_y_um when the pixel size is known),
/// centroid_x_px, centroid_y_px, bbox_min_x_px, bbox_min_y_px, bbox_max_x_px, bbox_max_y_px
/// (inclusive), touches_border (0/1).
public enum ObjectsCSV {
    public static func render(objects: [ConnectedObject], classNames: [String], pixelSize: PixelSize?,
                              separator: CSVSeparator = .comma) -> String {
        let um: Double? = pixelSize?.source == PixelSizeSource.none ? nil : pixelSize?.micrometresPerPixel
        var header = ["id", "class", "area_px", "ecd_px"]
        if um != nil { header += ["area_um2", "ecd_um", "centroid_x_um", "centroid_y_um"] }
        header += ["centroid_x_px", "centroid_y_px", "bbox_min_x_px", "bbox_min_y_px",
                   "bbox_max_x_px", "bbox_max_y_px", "touches_border"]
        let rows: [[CSVCell]] = objects.map { o in
            var r: [CSVCell] = [.integer(o.id),
                                .text(o.classIndex < classNames.count ? classNames[o.classIndex] : "\(o.classIndex)"),
                                .integer(o.areaPx), .number(o.ecdPx)]
            if let s = um {
                r += [.number(Double(o.areaPx) * s * s), .number(o.ecdPx * s),
                      .number(o.centroidX * s), .number(o.centroidY * s)]
            }
            r += [.number(o.centroidX), .number(o.centroidY), .integer(o.minX), .integer(o.minY),
                  .integer(o.maxX), .integer(o.maxY), .integer(o.touchesBorder ? 1 : 0)]
            return r
        }
        return CSVFormat.render(header: header, rows: rows, separator: separator)
    }
}
