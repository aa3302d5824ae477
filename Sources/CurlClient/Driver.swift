internal import CCurl
internal import CCurlShim
import Dispatch
import Foundation

/// The multi handle's pointer, so it can be handed to the driver thread.
// unchecked Sendable: the multi handle is used only on the driver thread, with one exception:
// `curl_multi_wakeup`, which curl documents as callable from any thread
// (https://curl.se/libcurl/c/curl_multi_wakeup.html), and which `Driver` calls only while holding
// `inbox`'s lock and only before the driver has seen `stopping` (after that it may be cleaned up).
struct MultiHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
}

/// The thread-safe face of the driver thread: other threads enqueue commands under `inbox`'s lock
/// and wake `curl_multi_poll`; `DriverLoop`, on the driver thread, does everything else.
///
/// Ordering rule: a `.cancel` is enqueued only after the transfer registered its continuation,
/// but it can still overtake that transfer's `.add`; `DriverLoop` therefore checks
/// `Transfer.isCancelRequested` when it starts a transfer, and ignores cancels for transfers it
/// does not hold.
final class Driver: Sendable {
    enum Command {
        case add(Transfer)
        case cancel(Transfer)
    }

    struct Inbox {
        var commands: [Command] = []
        /// Set once by `shutdown` or by a broken multi handle; no command is accepted afterwards.
        var stopping = false
        /// Why new transfers are refused once stopping: `.shutdown` unless the multi handle broke.
        var refusal: CurlError = .shutdown(requestSent: false)
        /// Set by the driver, under this lock, when it has seen every command and is about to
        /// sleep in `curl_multi_poll`; cleared when it next takes the commands (a command queued
        /// between its waking and that wakes it once more, for nothing). Only while it is set
        /// does a command need `curl_multi_wakeup` (a write to curl's socket pair, and the read
        /// and poll it causes): while the driver is awake it takes the command before it sleeps.
        var polling = false
    }

    let multi: MultiHandle
    let inbox = Locked(Inbox())
    /// Entered before the driver thread starts, left when it has cleaned up: `shutdown` waits on it.
    private let exited = DispatchGroup()

    private init(multi: MultiHandle) {
        self.multi = multi
    }

    /// Creates the multi handle and starts the driver thread that owns it.
    static func start(_ configuration: CurlClientConfiguration) throws(CurlError) -> Driver {
        guard let raw = curl_multi_init() else {
            throw CurlError(kind: .other, call: "curl_multi_init", message: "curl_multi_init returned NULL")
        }
        do throws(CurlError) {
            try check(cg_multi_setopt_long(raw, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost),
                      "curl_multi_setopt(MAX_HOST_CONNECTIONS)")
            try check(cg_multi_setopt_long(raw, CURLMOPT_MAX_TOTAL_CONNECTIONS, configuration.maxTotalConnections),
                      "curl_multi_setopt(MAX_TOTAL_CONNECTIONS)")
        } catch {
            // Nothing was added yet; a failing cleanup leaves nothing more to undo.
            try? check(curl_multi_cleanup(raw), "curl_multi_cleanup")
            throw error
        }
        let driver = Driver(multi: MultiHandle(raw: raw))
        driver.exited.enter()
        let thread = Thread {
            DriverLoop(driver: driver, configuration: configuration).run()
            driver.exited.leave()
        }
        thread.name = "cancelgate-curl"
        thread.start()
        return driver
    }

    /// Hands a registered transfer to the driver, or fails it when the driver is stopping.
    func submit(_ transfer: Transfer) {
        let refusal: CurlError? = inbox.withLock { inbox in
            guard !inbox.stopping else { return inbox.refusal }
            inbox.commands.append(.add(transfer))
            if inbox.polling { wakeUp() }
            return nil
        }
        if let refusal { transfer.finish(.failure(refusal)) }
    }

    /// Asks the driver to remove the transfer's easy handle and fail it with `.cancelled`.
    func cancel(_ transfer: Transfer) {
        inbox.withLock { inbox in
            // When stopping, the driver fails every transfer it holds with `.shutdown` anyway.
            guard !inbox.stopping else { return }
            inbox.commands.append(.cancel(transfer))
            if inbox.polling { wakeUp() }
        }
    }

    /// Stops accepting work, fails queued and in-flight transfers with `.shutdown` and waits for
    /// the driver thread to finish. Idempotent. Must not be called on the driver thread, which runs
    /// no user code: continuations it resumes run on their own executors.
    func shutdown() {
        inbox.withLock { inbox in
            guard !inbox.stopping else { return }
            inbox.stopping = true
            wakeUp()
        }
        exited.wait()
    }

    /// Called with `inbox` locked, while not stopping: the multi handle is alive.
    private func wakeUp() {
        // A failed wakeup only delays the command until `curl_multi_poll`'s own timeout
        // (`CurlClientConfiguration.pollTimeout`), so the error is deliberately dropped.
        try? check(curl_multi_wakeup(multi.raw), "curl_multi_wakeup")
    }
}
