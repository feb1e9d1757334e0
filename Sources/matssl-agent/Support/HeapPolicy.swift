/// glibc heap settings for bounded-memory image work: allocations of 1 MiB and more (tiles, masks,
/// overlays) are mmapped and go back to the OS when freed, instead of lingering in the heap and
/// raising the peak RSS of the next image.
enum HeapPolicy {
    /// Sets the mmap and trim thresholds to 1 MiB. Call once, before the first image.
    static func boundForImageWork() {
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 1 << 20)
        _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, 1 << 20)
    }

    /// Returns free heap memory to the OS (between images).
    static func trim() {
        _ = glibcMallocTrim(0)
    }
}

// <malloc.h> is not part of Swift's Glibc module.
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32
