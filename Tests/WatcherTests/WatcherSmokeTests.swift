import Testing
@testable import Watcher
@Test func watcherModuleLoads() { #expect(WatcherInfo.name == "Watcher") }
