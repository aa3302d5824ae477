public import CancelgateWire
public import Foundation

/// What `IdempotencyStore.begin` decided for one `Idempotency-Key`.
public enum IdempotencyBegin: Sendable, Equatable {
    /// First use of the key (or its earlier use expired or was abandoned): run the request, then
    /// `complete` or `abandon` it.
    case proceed
    /// The same request already finished: answer with its report, call no upstream.
    case replay(CancelReport, storedAt: Date)
    /// The key was used with another request (another fingerprint).
    case mismatch
    /// The same request is still running under this key.
    case inProgress
}

/// Remembers, per caller and `Idempotency-Key`, the request fingerprint and its finished report
/// (Stripe's semantics). A protocol so that a shared store (Redis…) can replace the in-memory one
/// when several gateways serve the same callers.
///
/// `scope` is the authenticated caller's name, or `""` when callers are not authenticated: two
/// callers never see each other's keys.
///
/// `complete` and `abandon` are called from the request's task, which may be cancelled by then
/// (a server shutting down); an implementation must finish them regardless of cancellation, or a
/// key would stay in progress.
public protocol IdempotencyStore: Sendable {
    func begin(scope: String, key: String, fingerprint: String) async -> IdempotencyBegin
    /// Stores the report of a request that `begin` let proceed.
    func complete(scope: String, key: String, fingerprint: String, report: CancelReport) async
    /// Forgets a key whose request failed before it had a report, so the key can be used again.
    func abandon(scope: String, key: String) async
}
