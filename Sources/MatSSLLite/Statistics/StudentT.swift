import Foundation

/// Two-sided Student t critical values.
public enum StudentT {
    /// t_{0.975, df}: standard table values for df 1…30; above 30 the Cornish–Fisher expansion
    /// around z = 1.959964 (error < 1e-5 for df > 30).
    public static func quantile975(df: Int) -> Double? {
        guard df >= 1 else { return nil }
        if df <= table975.count { return table975[df - 1] }
        let z = 1.959963984540054, n = Double(df)
        let z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z
        return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n)
            + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n)
    }

    static let table975: [Double] = [
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
        2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
        2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
        2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
    ]
}
