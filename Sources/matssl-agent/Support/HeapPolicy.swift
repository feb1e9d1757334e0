/// glibc heap settings for bounded-memory image work: allocations of 32 MiB and more (whole-image
/// masks and overlays of large images, the biggest tiles' activations) are mmapped and go back to
/// the OS when freed; smaller ones (a micrograph's activation buffers, allocated and freed layer by
/// layer and view by view) are reused from the heap, and the heap is trimmed between images.
/// A lower threshold makes every activation buffer a fresh mapping and page faults a large share
/// of the CPU time; measurements in docs/benchmarks-inference.md ("Page faults").
enum HeapPolicy {
    /// Fixed (not glibc's sliding) mmap and trim thresholds.
    static let thresholdBytes: Int32 = 32 << 20

    /// Sets the mmap and trim thresholds. Call once, before the first image.
    static func boundForImageWork() {
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, thresholdBytes)
        _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, thresholdBytes)
    }

    /// Returns free heap memory to the OS (between images).
    static func trim() {
        _ = glibcMallocTrim(0)
    }
}

// <malloc.h> is not part of Swift's Glibc module.
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32
