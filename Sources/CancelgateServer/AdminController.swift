internal import CancelgateCore
internal import Foundation
internal import Hummingbird
internal import Logging

/// `POST /admin/reload`: re-read routes.json, as SIGHUP does. Only for a client marked `admin`
/// (or anyone when callers are not authenticated). A file that does not validate is refused
/// with its messages (422) and the configuration in force stays.
struct AdminController: Sendable {
    let live: LiveConfiguration

    func addRoutes(to group: RouterGroup<GatewayContext>) {
        group.post("reload", use: reload)
    }

    struct Reloaded: ResponseEncodable {
        let status: String
        let upstreams: Int
        let routes: Int
        let clients: Int
        /// Changed settings that take effect only at the next start.
        let restart_required: [String]
    }

    @Sendable func reload(_ request: Request, context: GatewayContext) async throws -> Reloaded {
        guard context.isAdmin else {
            throw Problem(.forbidden, type: "forbidden", title: "Forbidden", detail: "Only a client marked admin may reload the configuration.")
        }
        switch await live.reload(logger: context.logger) {
        case .reloaded(let config, let restart):
            return Reloaded(
                status: "reloaded", upstreams: config.upstreams.count, routes: config.routes.count, clients: config.clients.count,
                restart_required: restart)
        case .refused(let error):
            throw Problem(
                .unprocessableContent, type: "invalid-configuration", title: "Invalid configuration",
                detail: "\(live.source?.path ?? "routes.json") does not validate; the configuration in force is unchanged.",
                errors: error.issues.map { Problem.FieldError(pointer: $0.path, message: $0.message) })
        case .noSource:
            throw Problem(.conflict, type: "conflict", title: "Conflict", detail: "This gateway was not started from a routes.json file.")
        }
    }
}
