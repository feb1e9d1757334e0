import Testing
@testable import MatSSLLite

/// `TiledSegmenter.Plan.best`: the least network work under the tile budget. Exactness of tiled
/// inference for any plan is held by `Int8InferenceTests.tiledResultEqualsWholeImageExactly`.
@Suite struct TilePlanTests {
    /// Every tile of a plan, enumerated the way `TiledSegmenter.segment` walks them: (height, width).
    static func tiles(_ p: TiledSegmenter.Plan) -> [(Int, Int)] {
        func spans(_ size: Int, _ core: Int) -> [Int] {
            stride(from: 0, to: size, by: core).map { min(size, $0 + core + p.halo) - max(0, $0 - p.halo) }
        }
        return spans(p.paddedHeight, p.coreHeight).flatMap { h in spans(p.paddedWidth, p.coreWidth).map { (h, $0) } }
    }

    /// The planner before session 10, for comparison: the whole image, else full-width bands when
    /// they fit, else square cores.
    static func previousPlan(height: Int, width: Int, halo: Int, budget: Int) -> TiledSegmenter.Plan {
        let hp = (height + 31) / 32 * 32, wp = (width + 31) / 32 * 32
        if hp * wp <= budget { return .init(paddedHeight: hp, paddedWidth: wp, coreHeight: hp, coreWidth: wp, halo: halo) }
        let bandRows = budget / wp - 2 * halo
        if bandRows >= 128 { return .init(paddedHeight: hp, paddedWidth: wp, coreHeight: bandRows / 32 * 32, coreWidth: wp, halo: halo) }
        let core = max(32, (Int(Double(budget).squareRoot()) - 2 * halo) / 32 * 32)
        return .init(paddedHeight: hp, paddedWidth: wp, coreHeight: min(core, hp), coreWidth: min(core, wp), halo: halo)
    }

    @Test func theWholeImageIsOneTileWhenItFits() {
        let p = TiledSegmenter.Plan.best(height: 703, width: 1024, halo: 384, tilePixelBudget: 1_500_000)
        #expect(p.tiles == 1 && p.paddedHeight == 704 && p.paddedWidth == 1024)
        #expect(p.networkPixels == 704 * 1024 && p.largestTilePixels == 704 * 1024)
    }

    /// A 1536×1094 SEM frame (FEI/Thermo size) is just over a 1.5 Mpx budget: two side-by-side tiles
    /// with the halo only between them (1.5× the image's pixels), where full-width bands computed 4×.
    @Test func anImageJustOverTheBudgetIsCutInTwo() {
        let p = TiledSegmenter.Plan.best(height: 1094, width: 1536, halo: 384, tilePixelBudget: 1_500_000)
        #expect(p.tiles == 2 && p.coreHeight == 1120 && p.coreWidth == 768, "\(p)")
        #expect(p.networkPixels == 1120 * (1536 + 2 * 384))
        let old = Self.previousPlan(height: 1094, width: 1536, halo: 384, budget: 1_500_000)
        #expect(old.networkPixels > 2 * p.networkPixels, "before: \(old.networkPixels), now \(p.networkPixels)")
    }

    /// For every size and budget: all tiles fit, the cores cover the image, the work and largest tile agree
    /// with the tiles enumerated one by one, and the work is never more than the previous planner's.
    @Test(arguments: [(703, 1024), (1094, 1536), (1536, 2048), (2188, 3072), (4096, 4096), (600, 700), (895, 1280), (300, 5000)])
    func plansFitTheBudgetAndNeverComputeMoreThanBefore(height: Int, width: Int) {
        for (halo, budget) in [(384, 1_500_000), (384, 3_000_000), (96, 200_000), (32, 64 * 64 * 4)] {
            let p = TiledSegmenter.Plan.best(height: height, width: width, halo: halo, tilePixelBudget: budget)
            let tiles = Self.tiles(p)
            #expect(tiles.count == p.tiles)
            #expect(tiles.allSatisfy { $0.0 * $0.1 <= budget }, "\(height)×\(width) halo \(halo) budget \(budget): \(p)")
            #expect(p.coreHeight % 32 == 0 && p.coreWidth % 32 == 0 && p.coreHeight <= p.paddedHeight && p.coreWidth <= p.paddedWidth)
            #expect(p.paddedHeight >= height && p.paddedHeight - height < 32 && p.paddedWidth >= width && p.paddedWidth - width < 32)
            #expect(p.networkPixels == tiles.reduce(0) { $0 + $1.0 * $1.1 })
            #expect(p.largestTilePixels == tiles.map { $0.0 * $0.1 }.max())
            let old = Self.previousPlan(height: height, width: width, halo: halo, budget: budget)
            if Self.tiles(old).allSatisfy({ $0.0 * $0.1 <= budget }) {
                #expect(p.networkPixels <= old.networkPixels, "\(height)×\(width) halo \(halo) budget \(budget): \(p) vs \(old)")
            }
        }
    }

    /// A budget no tiling can meet (below (32 + 2·halo)²) still gives a plan: the smallest tiles.
    @Test func anImpossibleBudgetGivesTheSmallestTiles() {
        let p = TiledSegmenter.Plan.best(height: 2000, width: 2000, halo: 384, tilePixelBudget: 10_000)
        #expect(p.coreHeight == 32 && p.coreWidth == 32)
        #expect(p.largestTilePixels == (32 + 2 * 384) * (32 + 2 * 384))
    }
}
