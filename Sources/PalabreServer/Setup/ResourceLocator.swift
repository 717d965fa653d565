import Foundation

/// Finds the repository's data (the forms, the contract, the samples) at run time: in the working directory, else
/// in the checkout the executable was built in, so `swift run palabre-server` works from anywhere in it.
public enum ResourceLocator {
    /// The path of `relative` (a file or folder), or nil when found in neither place.
    ///
    /// ```swift
    /// ResourceLocator.find("sync/openapi.yaml")       // "sync/openapi.yaml", or "/work/main/sync/openapi.yaml"
    /// ResourceLocator.find("forms", marker: "session.yaml")
    /// ```
    /// - Parameter marker: a file that must be inside a folder found beside the executable, so an unrelated folder of
    ///   the same name is not taken.
    public static func find(_ relative: String, marker: String? = nil) -> String? {
        let fm = FileManager.default
        if fm.fileExists(atPath: relative) { return relative }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent(relative)
            let probe = marker.map { candidate.appendingPathComponent($0) } ?? candidate
            if fm.fileExists(atPath: probe.path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }
}
