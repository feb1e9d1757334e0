/// MatSSLLite: the MatSSL-Lite network, its training, int8 inference, image codecs and statistics.
public enum MatSSLLite {
    /// Semantic version of the library and of the files it writes.
    public static let version = "0.1.0"
}
