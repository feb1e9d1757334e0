import Foundation
import Testing
@testable import Watcher

@Suite("Path filter")
struct PathFilterTests {
    let filter = PathFilter(include: ["*.tif", "*.png"], exclude: ["preview_*", "archive/*"], skippedDirectoryNames: ["matssl"])

    @Test func acceptsIncludedImagesCaseInsensitively() {
        #expect(filter.acceptsFile(name: "a.tif", relativePath: "a.tif"))
        #expect(filter.acceptsFile(name: "B.TIF", relativePath: "x/B.TIF"))
        #expect(filter.acceptsFile(name: "c.png", relativePath: "c.png"))
        #expect(!filter.acceptsFile(name: "notes.txt", relativePath: "notes.txt"))
    }

    @Test func rejectsHiddenTemporaryAndExcludedFiles() {
        #expect(!filter.acceptsFile(name: ".a.tif", relativePath: ".a.tif"))
        #expect(!filter.acceptsFile(name: "a.tif.part", relativePath: "a.tif.part"))
        #expect(!filter.acceptsFile(name: "a.tif~", relativePath: "a.tif~"))
        #expect(!filter.acceptsFile(name: "a.tif.tmp", relativePath: "a.tif.tmp"))
        #expect(!filter.acceptsFile(name: "preview_1.png", relativePath: "preview_1.png"))
        #expect(!filter.acceptsFile(name: "x.tif", relativePath: "archive/x.tif"))
        #expect(filter.acceptsFile(name: "x.tif", relativePath: "archive/deeper/x.tif") == true) // '*' does not cross '/'
    }

    @Test func skipsOutputHiddenAndExcludedDirectories() {
        #expect(!filter.acceptsDirectory(name: "matssl", relativePath: "run1/matssl"))
        #expect(!filter.acceptsDirectory(name: ".git", relativePath: ".git"))
        #expect(filter.acceptsDirectory(name: "run1", relativePath: "run1"))
    }

    @Test func emptyIncludeAcceptsEveryVisibleName() {
        let all = PathFilter()
        #expect(all.acceptsFile(name: "anything.bin", relativePath: "anything.bin"))
        #expect(!all.acceptsFile(name: ".hidden", relativePath: ".hidden"))
    }
}

@Suite("Filesystem kind")
struct FilesystemKindTests {
    @Test func networkMagicsNeedPolling() {
        #expect(FilesystemKind.classify(magic: 0x6969).isNetwork)          // NFS
        #expect(FilesystemKind.classify(magic: 0xFF53_4D42).isNetwork)     // CIFS
        #expect(FilesystemKind.classify(magic: 0xFE53_4D42).isNetwork)     // SMB2
        #expect(FilesystemKind.classify(magic: 0x517B).isNetwork)          // SMB
        #expect(FilesystemKind.classify(magic: 0x6573_5546).isNetwork)     // FUSE
        #expect(!FilesystemKind.classify(magic: 0xEF53).isNetwork)         // ext4
        #expect(!FilesystemKind.classify(magic: 0x0102_1994).isNetwork)    // tmpfs
    }

    @Test func detectsTheTemporaryDirectoryAsLocal() throws {
        let kind = try #require(FilesystemKind.detect(path: NSTemporaryDirectory()))
        #expect(!kind.isNetwork)
        #expect(FilesystemKind.detect(path: "/definitely/not/here") == nil)
    }
}
