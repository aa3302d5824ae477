internal import CurlClient
internal import Foundation

/// Non-200 answers as errors: RFC 9457 problems read for their detail and pointers.
extension GatewayClient {
    struct ProblemBody: Decodable {
        struct FieldError: Decodable {
            let pointer: String
            let message: String
        }

        let title: String?
        let detail: String?
        let errors: [FieldError]?
    }

    func problem(_ response: CurlResponse, chunk: Chunk?) -> CancelCommandError {
        let problem = try? JSONDecoder().decode(ProblemBody.self, from: response.body)
        let status = response.status
        if status == 401 {
            return CancelCommandError(
                .unauthorized,
                token == nil
                    ? "\(baseURL) requires a caller token: set CANCELGATE_TOKEN to one of its clients' tokens"
                    : "\(baseURL) did not accept the token in CANCELGATE_TOKEN (401)")
        }
        guard let problem else {
            let kind: CancelCommandError.Kind = status >= 500 ? .server : .connection
            return CancelCommandError(kind, "\(baseURL) answered \(status) without a problem description; is it a cancelgate gateway?")
        }
        var message = "\(baseURL) answered \(status) \(problem.title ?? "")".trimmingCharacters(in: .whitespaces)
        if let detail = problem.detail { message += ": \(detail)" }
        for error in problem.errors ?? [] {
            message += "\n  \(Self.describe(pointer: error.pointer, chunk: chunk)): \(error.message)"
        }
        switch status {
        case 409:
            message += "\nAn earlier run with the same IDs may still be running on the gateway; run the same command again once it has finished."
            return CancelCommandError(.server, message)
        case 413:
            message += "\nSend fewer IDs per request with --chunk-size."
            return CancelCommandError(.usage, message)
        case 500...:
            return CancelCommandError(.server, message)
        default:
            return CancelCommandError(.usage, message)
        }
    }

    /// `/ids/3` of chunk 2 → `item 2003 (ID …)`: positions in the user's list, not the chunk's.
    static func describe(pointer: String, chunk: Chunk?) -> String {
        let parts = pointer.split(separator: "/")
        if let chunk, parts.count >= 2, parts[0] == "ids", let position = Int(parts[1]), chunk.ids.indices.contains(position) {
            return "item \(chunk.offset + position) (\(chunk.ids[position]))"
        }
        return pointer.isEmpty ? "request" : pointer
    }

    func notJSON(_ response: CurlResponse, _ path: String) -> CancelCommandError {
        let contentType = response.header("Content-Type") ?? "no Content-Type"
        return CancelCommandError(
            .connection,
            "\(baseURL)\(path) answered \(response.status) with something that is not its JSON (\(contentType)); is it a cancelgate gateway?")
    }
}
