import Testing
import MatSSLLite
@Test func libraryVersionIsSemantic() { #expect(MatSSLLite.version.split(separator: ".").count == 3) }
