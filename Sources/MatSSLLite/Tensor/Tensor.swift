import Foundation

/// A dense fp32 activation tensor (NCHW for images, [N, F] for vectors) that owns its storage.
/// Reference type: layers keep what their backward needs by holding a reference (llm.c style).
public final class Tensor {
    /// Dimensions, outermost first, e.g. [n, c, h, w].
    public let shape: [Int]
    /// Number of elements (product of `shape`).
    public let count: Int
    /// The elements, row-major.
    public let data: UnsafeMutablePointer<Float>

    /// A zero-filled tensor of the given shape.
    public init(_ shape: [Int]) {
        self.shape = shape
        count = shape.reduce(1, *)
        data = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        data.initialize(repeating: 0, count: max(count, 1))
    }

    /// A tensor whose contents are undefined (for outputs a kernel overwrites completely).
    public init(uninitialized shape: [Int]) {
        self.shape = shape
        count = shape.reduce(1, *)
        data = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
    }

    /// A tensor holding a copy of `values` (`values.count` must equal the shape's product).
    public convenience init(_ shape: [Int], values: [Float]) {
        self.init(shape)
        precondition(values.count == count, "Tensor: \(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { data.deallocate() }

    public var n: Int { shape[0] }
    public var c: Int { shape.count > 1 ? shape[1] : 1 }
    public var h: Int { shape.count > 2 ? shape[2] : 1 }
    public var w: Int { shape.count > 3 ? shape[3] : 1 }
    /// h × w (1 for [N, F] tensors).
    public var plane: Int { h * w }

    /// The elements as an array (copies).
    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    public subscript(i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }

    /// Sets every element to zero.
    public func zero() { data.update(repeating: 0, count: count) }

    /// A new tensor with the same shape, zero-filled.
    public func zerosLike() -> Tensor { Tensor(shape) }
}

/// A reusable scratch buffer shared by the layers of one network (im2col columns etc.).
public final class Workspace {
    public private(set) var capacity: Int = 0
    public private(set) var pointer: UnsafeMutablePointer<Float>

    public init() { pointer = UnsafeMutablePointer<Float>.allocate(capacity: 1) }
    deinit { pointer.deallocate() }

    /// A buffer of at least `count` floats (contents undefined; valid until the next call).
    public func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            pointer = UnsafeMutablePointer<Float>.allocate(capacity: count)
            capacity = count
        }
        return pointer
    }
}
