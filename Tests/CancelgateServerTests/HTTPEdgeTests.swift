import Foundation
import HummingbirdTesting
import InMemoryLogging
import Logging
import NIOCore
import NIOPosix
import Testing

/// What a client sees of the server itself: the `listening` line scripts wait for, and
/// `Expect: 100-continue` answered at once.
@Suite struct HTTPEdgeTests {
    /// `serve --port 0` and the demo log the bound address in their own line.
    @Test func listeningLineNamesTheBoundAddress() async throws {
        try await GatewayHarness.run { h in
            let port = try #require(h.gateway.port)
            let lines = h.logs.entries.filter { "\($0.message)" == "listening" }
            #expect(lines.count == 1)
            #expect(lines.first?.level == .info)
            #expect(lines.first?.metadata["server.address"] == "127.0.0.1:\(port)")
        }
    }

    /// A client that sends `Expect: 100-continue` (curl, PHP) holds its body back until the
    /// server says `100 Continue`. On a raw connection: the head alone, then the interim answer
    /// must arrive (the server cannot answer the request itself without its body), then the
    /// body, then the final 200. Without the interim answer this test never gets past the head;
    /// its time limit fails it.
    @Test(.timeLimit(.minutes(1))) func expectContinueIsAnsweredBeforeTheBodyIsSent() async throws {
        try await GatewayHarness.run { h in
            let port = try #require(h.gateway.port)
            let body = #"{"ids": ["tsk_1001"]}"#
            let head =
                "POST /v1/cancel?dry_run=true HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
            try await channel.executeThenClose { inbound, outbound in
                var answers = inbound.makeAsyncIterator()
                try await outbound.write(ByteBuffer(string: head))
                var interim = ""
                while !interim.contains("\r\n\r\n"), let part = try await answers.next() { interim += String(buffer: part) }
                #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")

                try await outbound.write(ByteBuffer(string: body))
                var final = ""
                while let part = try await answers.next() { final += String(buffer: part) }
                #expect(final.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(final.prefix(200))")
                #expect(final.contains(#""planned""#))
            }
        }
    }
}
