import HTTPTypes
import Hummingbird
import NIOCore

// Response bodies that go wrong part-way: they wrap the writer Hummingbird hands a body, so the head
// (status, headers, the full `Content-Length`) goes out as usual and only the body misbehaves.

extension Response {
    /// The same head, but only the first half of the body, after which the handler throws: Hummingbird then
    /// closes the connection without the end of the message (the client sees fewer bytes than announced).
    func cutShort() -> Response {
        let original = body
        let length = original.contentLength ?? 0
        var response = self
        response.body = ResponseBody(contentLength: length) { writer in
            try await original.write(TruncatingBodyWriter(parent: writer, remaining: length / 2))
        }
        return response
    }

    /// The same answer, written `chunkBytes` at a time with `interval` between chunks.
    func trickled(chunkBytes: Int, interval: Duration) -> Response {
        let original = body
        var response = self
        response.body = ResponseBody(contentLength: original.contentLength) { writer in
            try await original.write(TricklingBodyWriter(parent: writer, chunkBytes: max(1, chunkBytes), interval: interval))
        }
        return response
    }
}

/// Passes on the first `remaining` bytes, drops the rest, and never finishes the message.
struct TruncatingBodyWriter: ResponseBodyWriter {
    var parent: any ResponseBodyWriter
    var remaining: Int

    mutating func write(_ buffer: ByteBuffer) async throws {
        guard remaining > 0 else { return }
        let part = buffer.getSlice(at: buffer.readerIndex, length: min(remaining, buffer.readableBytes)) ?? ByteBuffer()
        remaining -= part.readableBytes
        try await parent.write(part)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        throw FakeAbort.connectionClosed
    }
}

/// Splits every buffer into `chunkBytes` pieces and waits `interval` before each piece after the first.
/// A client that gives up makes the next write fail, which ends the response.
struct TricklingBodyWriter: ResponseBodyWriter {
    var parent: any ResponseBodyWriter
    let chunkBytes: Int
    let interval: Duration
    var started = false

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        while let chunk = buffer.readSlice(length: min(chunkBytes, buffer.readableBytes)), chunk.readableBytes > 0 {
            if started { try await Task.sleep(for: interval) }
            started = true
            try await parent.write(chunk)
        }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await parent.finish(trailingHeaders)
    }
}
