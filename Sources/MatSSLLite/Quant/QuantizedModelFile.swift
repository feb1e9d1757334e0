import Foundation

/// The int8 model file: one safetensors file holding, per conv, `NAME.qweight` (I8 `[cout, k, k, cin]`),
/// `NAME.weight_scale` (F32 `[cout]`), `NAME.bias` (I32 `[cout]`), `NAME.multiplier` (F32 `[cout]`)
/// and `NAME.float_bias` (F32 `[cout]`), and in its metadata:
/// - `format`: `matssl-int8/1` (the version; a reader refuses others),
/// - `info`: `QuantizedModelInfo` JSON (architecture, graph, activation parameters, classes and
///   colours, normalisation, tiling, calibration provenance, source checkpoint),
/// - `checksum`: CRC-32 (hex) of the `info` text followed by the data section.
public enum QuantizedModelFile {
    public static let formatVersion = "matssl-int8/1"

    public static func encode(_ model: QuantizedModel) throws -> SafeTensors {
        var st = SafeTensors()
        for c in model.convs {
            let s = c.spec
            st.add("\(s.name).qweight", shape: [s.cout, s.kernel, s.kernel, s.cin], int8: c.weights)
            st.add("\(s.name).weight_scale", shape: [s.cout], values: c.weightScales)
            st.add("\(s.name).bias", shape: [s.cout], int32: c.bias)
            st.add("\(s.name).multiplier", shape: [s.cout], values: c.multipliers)
            st.add("\(s.name).float_bias", shape: [s.cout], values: c.floatBias)
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let info = String(decoding: try enc.encode(model.info), as: UTF8.self)
        st.metadata = ["format": formatVersion, "info": info, "checksum": checksum(info: info, file: st)]
        return st
    }

    public static func save(_ model: QuantizedModel, to path: String) throws {
        try encode(model).write(to: path)
    }

    /// Loads and validates a model file; every failure names the file and the reason.
    public static func load(path: String) throws -> QuantizedModel {
        let st = try SafeTensors.read(path: path)
        func bad(_ r: String) -> CheckpointError { .corrupt(path: path, reason: r) }
        guard let format = st.metadata["format"] else { throw bad("no format metadata: not a matssl-agent int8 model") }
        guard format == formatVersion else {
            throw CheckpointError.mismatch(path: path, reason: "format \(format); this agent reads \(formatVersion)"
                + (format.hasPrefix("matssl-lite/") ? " (this is an fp32 checkpoint: run `matssl-agent quantize` first)" : ""))
        }
        guard let info = st.metadata["info"], let sum = st.metadata["checksum"] else { throw bad("info or checksum metadata missing") }
        let actual = checksum(info: info, file: st)
        guard actual == sum else { throw bad("checksum \(actual) does not match the recorded \(sum): the file was altered or damaged") }
        let decoded: QuantizedModelInfo
        do { decoded = try JSONDecoder().decode(QuantizedModelInfo.self, from: Data(info.utf8)) } catch {
            throw bad("model description is not valid: \(error)")
        }
        do { try decoded.config.validate() } catch { throw bad("\(error)") }
        var convs: [QuantizedConv] = []
        for s in decoded.graph.convs {
            guard let w = st.int8("\(s.name).qweight"), let b = st.int32("\(s.name).bias"),
                  let ws = st.tensors["\(s.name).weight_scale"]?.values, let m = st.tensors["\(s.name).multiplier"]?.values,
                  let fb = st.tensors["\(s.name).float_bias"]?.values else {
                throw bad("tensors of conv \(s.name) missing or of the wrong type")
            }
            do {
                convs.append(try QuantizedConv(spec: s, weights: w, weightScales: ws, bias: b, multipliers: m, floatBias: fb))
            } catch { throw bad("\(error)") }
        }
        do { return try QuantizedModel(info: decoded, convs: convs) } catch { throw bad("\(error)") }
    }

    static func checksum(info: String, file: SafeTensors) -> String {
        var crc = CRC32()
        crc.update(Array(info.utf8))
        crc.update(file.dataSection())
        return String(format: "%08x", crc.value)
    }
}
