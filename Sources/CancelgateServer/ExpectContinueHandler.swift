internal import Foundation
internal import HTTPTypes
internal import NIOCore
internal import NIOHTTPTypes

/// Answers `100 Continue` as soon as a request head with `Expect: 100-continue` arrives. Without
/// it a client that asks (curl for large bodies, PHP's curl for any body over 1 KiB) waits its
/// whole expect timeout, about a second, before it sends the body. The final answer follows as
/// usual, whatever it is (a 413 or 415 included: the client then sends a body nobody reads, as
/// a client that did not ask would have).
///
/// It sits in Hummingbird's HTTP/1 pipeline after the codec
/// (`HTTP1Channel.Configuration.additionalChannelHandlers`), where request parts are already
/// swift-http-types values. One instance per connection; it keeps no state.
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let request) = unwrapInboundIn(data), Self.expectsContinue(request) {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }

    /// RFC 9110 §10.1.1: `100-continue` is the only expectation, compared case-insensitively.
    static func expectsContinue(_ request: HTTPRequest) -> Bool {
        request.headerFields[values: .expect].contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "100-continue" }
    }
}
