import ArgumentParser
import MatSSLLite

/// `--tta none|flips|d4` on `segment` and `evaluate`.
extension TestTimeAugmentation: ExpressibleByArgument {}
