// swift-tools-version: 6.1
// matssl-agent: microscope-side micrograph segmentation (MatSSL-Lite, int8) for Linux.
import PackageDescription

/// System libraries come from Debian packages (see `.ci/run` / `scripts/install-deps`).
let package = Package(
    name: "matssl-agent",
    products: [
        .executable(name: "matssl-agent", targets: ["matssl-agent"]),
        .library(name: "MatSSLLite", targets: ["MatSSLLite"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // System-library shims (module maps only).
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CTIFF", pkgConfig: "libtiff-4", providers: [.apt(["libtiff-dev"])]),
        .systemLibrary(name: "CInotifyTools", providers: [.apt(["libinotifytools0-dev"])]),

        // C glue for the image codecs (libpng/libjpeg report errors by longjmp, which Swift cannot catch).
        .target(name: "CImageCodecs", dependencies: ["CPNG", "CJPEG", "CTIFF"]),

        // C numeric kernels: fp32 (OpenBLAS) and int8 (VNNI/AMX) on raw buffers, CPU dispatch.
        .target(
            name: "QuantKernels",
            dependencies: ["COpenBLAS"],
            cSettings: [.unsafeFlags(["-O3"], .when(configuration: .debug))]
        ),

        // The model, its training, int8 inference, image codecs, statistics.
        .target(
            name: "MatSSLLite",
            dependencies: ["QuantKernels", "CImageCodecs"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),

        // Directory watching: inotify (libinotifytools) and polling backends.
        .target(name: "Watcher", dependencies: ["CInotifyTools"]),

        .executableTarget(
            name: "matssl-agent",
            dependencies: [
                "MatSSLLite", "Watcher", "QuantKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),

        .testTarget(name: "QuantKernelsTests", dependencies: ["QuantKernels"]),
        .testTarget(name: "MatSSLLiteTests", dependencies: ["MatSSLLite"], resources: [.copy("Fixtures")]),
        .testTarget(name: "WatcherTests", dependencies: ["Watcher"]),
        .testTarget(name: "MatSSLAgentTests", dependencies: ["matssl-agent"], swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
