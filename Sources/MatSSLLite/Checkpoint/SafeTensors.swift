import Foundation

/// Errors reading or writing a checkpoint; each names the file and the reason.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case io(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case mismatch(path: String, reason: String)
    public var description: String {
        switch self {
        case .io(let p, let r): return "checkpoint \(p): \(r)"
        case .corrupt(let p, let r): return "checkpoint \(p) is corrupt: \(r)"
        case .mismatch(let p, let r): return "checkpoint \(p) does not match the model: \(r)"
        }
    }
}

/// A safetensors file: 8-byte little-endian header length, JSON header
/// {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, then the data.
/// Only F32 tensors are written; F32 is what the reader accepts.
public struct SafeTensors {
    public struct Entry: Equatable { public var shape: [Int]; public var values: [Float] }
    public var tensors: [String: Entry] = [:]
    public var metadata: [String: String] = [:]

    public init() {}

    public mutating func add(_ name: String, shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) vs \(values.count) values")
        tensors[name] = Entry(shape: shape, values: values)
    }

    /// The serialised bytes (tensors in name order).
    public func encoded() -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let e = tensors[name]!
            let bytes = e.values.count * 4
            header[name] = ["dtype": "F32", "shape": e.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var len = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &len) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            tensors[name]!.values.withUnsafeBufferPointer { out.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: UInt8.self), count: $0.count * 4)) }
        }
        return out
    }

    /// Writes atomically: temp file in the same directory, fsync, rename, fsync the directory.
    public func write(to path: String) throws {
        let data = encoded()
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let tmp = dir + "/.\(url.lastPathComponent).tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CheckpointError.io(path: path, reason: "cannot create \(tmp): \(String(cString: strerror(errno)))") }
        var ok = true
        data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { if errno == EINTR { continue }; ok = false; break }
                off += n
            }
        }
        if ok && fsync(fd) != 0 { ok = false }
        let err = String(cString: strerror(errno))
        close(fd)
        guard ok else { unlink(tmp); throw CheckpointError.io(path: path, reason: "write failed: \(err)") }
        guard rename(tmp, path) == 0 else {
            let e = String(cString: strerror(errno)); unlink(tmp)
            throw CheckpointError.io(path: path, reason: "rename failed: \(e)")
        }
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Reads and validates a file: header bounds, JSON shape, dtypes, offsets, data length.
    public static func read(path: String) throws -> SafeTensors {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.io(path: path, reason: "cannot read file")
        }
        return try decode(data, path: path)
    }

    public static func decode(_ data: Data, path: String) throws -> SafeTensors {
        func bad(_ r: String) -> CheckpointError { .corrupt(path: path, reason: r) }
        guard data.count >= 8 else { throw bad("file is \(data.count) bytes, shorter than the 8-byte header length") }
        let hlen = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
        guard hlen >= 2, hlen <= 100_000_000, 8 + hlen <= UInt64(data.count) else {
            throw bad("header length \(hlen) does not fit in a \(data.count)-byte file (truncated?)")
        }
        let hdata = data.subdata(in: 8..<(8 + Int(hlen)))
        guard let obj = try? JSONSerialization.jsonObject(with: hdata), let header = obj as? [String: Any] else {
            throw bad("header is not a JSON object")
        }
        let body = data.count - 8 - Int(hlen)
        var st = SafeTensors()
        var covered = 0
        for (name, value) in header {
            if name == "__metadata__" {
                guard let md = value as? [String: String] else { throw bad("__metadata__ is not a string map") }
                st.metadata = md
                continue
            }
            guard let d = value as? [String: Any], let dtype = d["dtype"] as? String,
                  let shape = d["shape"] as? [Int], let offs = d["data_offsets"] as? [Int], offs.count == 2 else {
                throw bad("tensor \(name): malformed header entry")
            }
            guard dtype == "F32" else { throw bad("tensor \(name): dtype \(dtype), only F32 is supported") }
            guard shape.allSatisfy({ $0 >= 0 }), offs[0] >= 0, offs[1] >= offs[0], offs[1] <= body else {
                throw bad("tensor \(name): data offsets \(offs) outside the \(body)-byte data section (truncated?)")
            }
            let count = shape.reduce(1, *)
            guard offs[1] - offs[0] == count * 4 else {
                throw bad("tensor \(name): shape \(shape) needs \(count * 4) bytes, offsets give \(offs[1] - offs[0])")
            }
            var values = [Float](repeating: 0, count: count)
            let start = 8 + Int(hlen) + offs[0]
            values.withUnsafeMutableBytes { dst in
                data.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<(start + count * 4)])) }
            }
            covered += count * 4
            st.tensors[name] = Entry(shape: shape, values: values)
        }
        guard covered == body else { throw bad("data section is \(body) bytes but tensors cover \(covered)") }
        return st
    }
}
