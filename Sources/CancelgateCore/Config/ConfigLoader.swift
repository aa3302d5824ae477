public import Foundation

/// Reads `routes.json` (CONTRACT §2) into a `RoutesConfig`.
///
/// Synthesised `Decodable` would ignore unknown keys and stop at the first problem, so the loader
/// walks the parsed `JSONValue` with its JSON Pointer instead and reports every problem it finds:
/// unknown keys, wrong types, values out of range, unknown providers, bad URLs and regexes,
/// references to unknown upstreams and unset `${VAR}`s. Defaults come from the config types.
///
/// `${NAME}` in any string value is replaced from `environment`; the loader never reads the
/// process environment itself.
public enum ConfigLoader {
    public static func load(data: Data, environment: [String: String]) throws(ConfigError) -> RoutesConfig {
        let document: JSONValue
        do {
            document = try JSONValue.parse(data)
        } catch {
            throw ConfigError(issues: [.init(path: "", message: "not valid JSON: \(jsonProblem(error, in: data))")])
        }
        var reader = ConfigReader(environment: environment)
        let config = reader.routesConfig(document)
        guard reader.issues.isEmpty, let config else {
            // A walk that returns no config has always reported why; the fallback keeps that an invariant.
            throw ConfigError(issues: reader.issues.isEmpty ? [.init(path: "", message: "invalid configuration")] : reader.issues)
        }
        return config
    }

    public static func load(path: String, environment: [String: String]) throws(ConfigError) -> RoutesConfig {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(issues: [.init(path: "", message: "cannot read \(path): \(fileProblem(error))")])
        }
        return try load(data: data, environment: environment)
    }

    /// Why `data` is not JSON. JSONDecoder on Linux says only "The given data was not valid
    /// JSON.", so the reason is asked of JSONSerialization, and its character offset turned
    /// into a line and column.
    private static func jsonProblem(_ error: any Error, in data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            if let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String {
                let place = location(of: detail, in: data)
                return place.isEmpty || !detail.hasSuffix(".") ? detail + place : detail.dropLast() + place
            }
        }
        if case DecodingError.dataCorrupted(let context) = error {
            return context.debugDescription
        }
        return String(describing: error)
    }

    /// " (line 3, column 7)" for a message ending "around character N.", else "".
    private static func location(of detail: String, in data: Data) -> String {
        guard let marker = detail.range(of: "character ") else { return "" }
        guard let offset = Int(detail[marker.upperBound...].prefix { $0.isNumber }), offset >= 0, offset <= data.count else { return "" }
        let before = [UInt8](data.prefix(offset))
        let line = before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        let column = offset - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
        return " (line \(line), column \(column))"
    }

    private static func fileProblem(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}
