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
/// F32 tensors live in `tensors`; integer tensors (I8, U8, I32 — the int8 model's weights and
/// biases) in `raw`, as little-endian bytes.
public struct SafeTensors {
    public struct Entry: Equatable { public var shape: [Int]; public var values: [Float] }
    /// A non-F32 tensor: dtype name, shape and its bytes.
    public struct RawEntry: Equatable { public var dtype: String; public var shape: [Int]; public var bytes: [UInt8] }
    public var tensors: [String: Entry] = [:]
    public var raw: [String: RawEntry] = [:]
    public var metadata: [String: String] = [:]

    /// Bytes per element of the supported dtypes.
    public static let elementSize: [String: Int] = ["F32": 4, "I32": 4, "I8": 1, "U8": 1]

    public mutating func add(_ name: String, shape: [Int], int8 values: [Int8]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) vs \(values.count) values")
        raw[name] = RawEntry(dtype: "I8", shape: shape, bytes: values.map { UInt8(bitPattern: $0) })
    }

    public mutating func add(_ name: String, shape: [Int], int32 values: [Int32]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) vs \(values.count) values")
        var bytes = [UInt8](repeating: 0, count: values.count * 4)
        for (i, v) in values.enumerated() {
            let u = UInt32(bitPattern: v)
            for k in 0..<4 { bytes[4 * i + k] = UInt8(truncatingIfNeeded: u >> (8 * UInt32(k))) }
        }
        raw[name] = RawEntry(dtype: "I32", shape: shape, bytes: bytes)
    }

    /// An I8 tensor's values, if present with that dtype.
    public func int8(_ name: String) -> [Int8]? {
        guard let e = raw[name], e.dtype == "I8" else { return nil }
        return e.bytes.map { Int8(bitPattern: $0) }
    }

    /// An I32 tensor's values, if present with that dtype.
    public func int32(_ name: String) -> [Int32]? {
        guard let e = raw[name], e.dtype == "I32" else { return nil }
        return (0..<(e.bytes.count / 4)).map { i in
            var u: UInt32 = 0
            for k in 0..<4 { u |= UInt32(e.bytes[4 * i + k]) << (8 * UInt32(k)) }
            return Int32(bitPattern: u)
        }
    }

    /// The data section as written by `encoded()` (tensors in name order), for checksums.
    public func dataSection() -> [UInt8] {
        var out: [UInt8] = []
        for name in (Set(tensors.keys).union(raw.keys)).sorted() {
            if let e = tensors[name] {
                e.values.withUnsafeBytes { out.append(contentsOf: $0) }
            } else if let r = raw[name] {
                out.append(contentsOf: r.bytes)
            }
        }
        return out
    }

    public init() {}

    public mutating func add(_ name: String, shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) vs \(values.count) values")
        tensors[name] = Entry(shape: shape, values: values)
    }

    /// The serialised bytes (tensors in name order).
    public func encoded() -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        let names = Set(tensors.keys).union(raw.keys).sorted()
        for name in names {
            let (dtype, shape, bytes) = tensors[name].map { ("F32", $0.shape, $0.values.count * 4) }
                ?? (raw[name]!.dtype, raw[name]!.shape, raw[name]!.bytes.count)
            header[name] = ["dtype": dtype, "shape": shape, "data_offsets": [offset, offset + bytes]]
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
            if let e = tensors[name] {
                e.values.withUnsafeBytes { out.append(contentsOf: $0) }
            } else {
                out.append(contentsOf: raw[name]!.bytes)
            }
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
            guard let esize = elementSize[dtype] else {
                throw bad("tensor \(name): dtype \(dtype) is not supported (F32, I32, I8, U8)")
            }
            guard shape.allSatisfy({ $0 >= 0 }), offs[0] >= 0, offs[1] >= offs[0], offs[1] <= body else {
                throw bad("tensor \(name): data offsets \(offs) outside the \(body)-byte data section (truncated?)")
            }
            let count = shape.reduce(1, *)
            guard offs[1] - offs[0] == count * esize else {
                throw bad("tensor \(name): shape \(shape) needs \(count * esize) bytes, offsets give \(offs[1] - offs[0])")
            }
            if dtype != "F32" {
                let start = 8 + Int(hlen) + offs[0]
                st.raw[name] = RawEntry(dtype: dtype, shape: shape, bytes: [UInt8](data[(data.startIndex + start)..<(data.startIndex + start + count * esize)]))
                covered += count * esize
                continue
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
