import ArgumentParser
import Foundation
import MatSSLLite
import QuantKernels

/// `matssl-agent bench-train`: training throughput of the lite default on 1 and 2 threads — SSL
/// images/s at 224² (two views per image, forward + backward + SGD step) and fine-tuning crops/s at
/// 256² (forward + backward + AdamW step) — with the achieved GFLOPS as a fraction of the AVX-512
/// FMA peak measured in the same run. Run a release build on an idle machine.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-train",
        abstract: "Benchmark training throughput (SSL and fine-tuning) against the FMA peak (release build).")

    @Option(help: "Comma-separated thread counts.") var threads = "1,2"
    @Option(help: "Timed steps per phase and thread count.") var steps = 4
    @Option(help: "Untimed warm-up steps.") var warmup = 1
    @Option(help: "SSL images per step (two views each).") var sslBatch = 32
    @Option(help: "SSL crop size.") var sslCrop = 224
    @Option(help: "Fine-tuning crops per step.") var finetuneBatch = 8
    @Option(help: "Fine-tuning crop size (multiple of 32).") var finetuneCrop = 256
    @Option(help: "Folder of micrographs to crop from (default: synthetic textured images).") var images: String?

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ $0 >= 1 }),
              threadCounts.count == threads.split(separator: ",").count else {
            throw ValidationError("--threads needs comma-separated counts ≥ 1")
        }
        guard steps >= 1, warmup >= 0, sslBatch >= 2, finetuneBatch >= 1 else {
            throw ValidationError("--steps ≥ 1, --warmup ≥ 0, --ssl-batch ≥ 2, --finetune-batch ≥ 1")
        }
        guard sslCrop >= 32, sslCrop % 32 == 0, finetuneCrop >= 32, finetuneCrop % 32 == 0 else {
            throw ValidationError("crop sizes must be positive multiples of 32")
        }
    }

    func run() throws {
        let counts = threadCounts
        var config = ModelConfig()
        config.classNames = ModelConfig.metalDAMClasses
        config.classColors = ModelConfig.defaultColors(config.classNames.count)
        let pool = try sourceImages()
        // Forward multiply-accumulates per image from the inference graph of the same architecture.
        let graph = InferenceGraphBuilder.build(try SegmentationNet(config: config, seed: 1))
        func macs(crop: Int, encoderOnly: Bool) -> Int {
            graph.convs.filter { !encoderOnly || !($0.name.hasPrefix("decoder") || $0.name == "classifier") }
                .reduce(0) { acc, c in
                    let s = graph.tensors[c.output].stride
                    return acc + (crop / s) * (crop / s) * c.cout * c.cin * c.kernel * c.kernel
                }
        }
        // Training ≈ 3 × forward (forward, input gradient, weight gradient); 2 FLOPs per MAC.
        let sslGflopPerImage = 2 * 3 * 2 * Double(macs(crop: sslCrop, encoderOnly: true)) / 1e9 // 2 views
        let ftGflopPerCrop = 2 * 3 * Double(macs(crop: finetuneCrop, encoderOnly: false)) / 1e9
        let peak = qk_peak_fma512_gflops(0.3)
        print("cpu: \(BenchKernelsCommand.cpuModel()), OpenBLAS core \(String(cString: qk_blas_corename()))")
        print(String(format: "FMA zmm peak (1 thread): %.0f GFLOPS; training FLOPs counted as 3 × forward conv FLOPs", peak))
        print(String(format: "SSL: batch %d, crop %d², %.2f GFLOP per image (2 views); fine-tuning: batch %d, crop %d², %.2f GFLOP per crop",
                     sslBatch, sslCrop, sslGflopPerImage, finetuneBatch, finetuneCrop, ftGflopPerCrop))
        print("\n| phase | threads | images/s | GFLOPS | % of FMA peak × threads | s per step |")
        print("|---|---:|---:|---:|---:|---:|")
        for t in counts {
            configureComputeThreads(t)
            var ssl = TrainingState(kind: "ssl")
            ssl.totalSteps = 1_000_000
            ssl.schedule = LRSchedule(base: 0.01, warmupSteps: 0, totalSteps: 1_000_000, minFactor: 0.01)
            let sslTrainer = try SSLTrainer(config: config, images: pool, batch: sslBatch, crop: sslCrop, state: ssl)
            let sslSec = try time { try sslTrainer.trainStep($0) }
            report("SSL \(sslCrop)²", t, perStep: sslSec, items: sslBatch, gflopPerItem: sslGflopPerImage, peak: peak)

            var ft = TrainingState(kind: "segmentation")
            ft.totalSteps = 1_000_000
            ft.optimizer = .adamw
            ft.schedule = LRSchedule(base: 1e-3, warmupSteps: 0, totalSteps: 1_000_000, minFactor: 0.01)
            let ftTrainer = try SegmentationTrainer(config: config, images: pool, batch: finetuneBatch, crop: finetuneCrop, state: ft)
            let ftSec = try time { try ftTrainer.trainStep($0) }
            report("fine-tune \(finetuneCrop)²", t, perStep: ftSec, items: finetuneBatch, gflopPerItem: ftGflopPerCrop, peak: peak)
        }
    }

    /// Median seconds per step after the warm-up.
    private func time(_ step: (Int) throws -> Any) throws -> Double {
        for s in 0..<warmup { _ = try step(s) }
        var times: [Double] = []
        for s in 0..<steps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try step(warmup + s)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    private func report(_ phase: String, _ threads: Int, perStep: Double, items: Int, gflopPerItem: Double, peak: Double) {
        let ips = Double(items) / perStep
        let gflops = ips * gflopPerItem
        print(String(format: "| %@ | %d | %.1f | %.1f | %.1f%% | %.2f |", phase, threads, ips, gflops,
                     100 * gflops / (peak * Double(threads)), perStep))
        fflush(stdout)
    }

    /// Micrographs from --images (8 bit, labels from an intensity threshold so fine-tuning has a
    /// target), or eight synthetic textured images twice the larger crop on a side.
    private func sourceImages() throws -> [TrainImage] {
        func labeled(_ name: String, _ w: Int, _ h: Int, _ px: [UInt8]) -> TrainImage {
            TrainImage(name: name, width: w, height: h, pixels: px, labels: px.map { UInt8(min(4, Int($0) / 52)) })
        }
        if let dir = images {
            let files = try DatasetLoader.imageFiles(in: dir).prefix(16)
            guard !files.isEmpty else { throw ValidationError("no images in \(dir)") }
            return try files.map { path in
                let (img, _) = try ImageDecoder.decode(path: path)
                return labeled(path, img.width, img.height, img.pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) })
            }
        }
        var rng = RandomState(seed: 5)
        return (0..<8).map { i in
            let w = 2 * max(sslCrop, finetuneCrop), h = w
            var px = [UInt8](repeating: 0, count: w * h)
            let fx = Double(rng.next() % 40 + 8), fy = Double(rng.next() % 40 + 8)
            for y in 0..<h {
                for x in 0..<w {
                    let v = 128 + 60 * sin(Double(x) / fx) * cos(Double(y) / fy) + Double(rng.next() % 40) - 20
                    px[y * w + x] = UInt8(max(0, min(255, v)))
                }
            }
            return labeled("synthetic\(i)", w, h, px)
        }
    }
}
