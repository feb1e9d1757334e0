/// Watcher: directory watching (libinotifytools and polling backends). Emits "this path may be ready" hints.
public enum WatcherInfo {
    public static let name = "Watcher"
}
